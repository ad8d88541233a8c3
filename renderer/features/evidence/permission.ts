// Renderer: short forms of a requested permission for dense table cells.

/** The permission alone (`Mail.Read`) from main's `resource: permission`; the resource stays in the tooltip and the panel. */
export function permissionName(text: string): string {
  const at = text.lastIndexOf(': ');
  return at < 0 ? text : text.slice(at + 2);
}
