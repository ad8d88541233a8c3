// Renderer: hands a file the host produced (IOC CSV, STIX bundle) to the user as a download, from memory — no path is chosen here.

/** Offers `content` as a download named `fileName`; the host (browser or Electron session) decides where it goes. */
export function saveTextFile(fileName: string, mediaType: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: mediaType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  link.hidden = true;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // The download has taken its copy once the click has been handled.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
