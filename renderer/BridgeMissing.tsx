// Renderer: the full-page error shown when `window.peregrine` is absent (page opened outside Peregrine's host).
export function BridgeMissing() {
  return (
    <main className="fatal" data-testid="bridge-missing">
      <div className="fatal-card" role="alert">
        <h1>Peregrine cannot reach its host process</h1>
        <p>
          This page is Peregrine’s interface, but the connection to the part of Peregrine that holds the case file is missing,
          so nothing can be shown or changed. No case data was touched.
        </p>
        <p>What to do: start Peregrine from its application icon, or run <code className="mono">peregrine serve</code> and open the address it prints.</p>
        <details className="notice-detail">
          <summary>Technical detail</summary>
          <pre className="mono">window.peregrine is not defined: neither the Electron preload nor the browser host’s bridge script ran before this page.</pre>
        </details>
      </div>
    </main>
  );
}
