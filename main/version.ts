// Any Node process: the tool version stamped into case files, custody entries and export manifests.
export const TOOL_VERSION = '0.1.0';
