// E2E page objects: the few DOM members the in-page readers use (tsconfig.node.json has no DOM lib).
export interface DomNode {
  getAttribute(name: string): string | null;
  readonly textContent: string | null;
  readonly nextElementSibling: DomNode | null;
  querySelector(selector: string): DomNode | null;
  querySelectorAll(selector: string): ArrayLike<DomNode>;
}
