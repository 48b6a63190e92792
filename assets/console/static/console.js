// Switchyard console: the little script the pages use (no framework, no eval). Everything
// works without it; with it, lists marked data-live refresh themselves and copy buttons copy.
(() => {
  "use strict";
  /** How often a live list (the first page of events) refreshes, in milliseconds. */
  const POLL_MS = 5000;

  document.addEventListener("click", (e) => {
    const b = e.target instanceof Element ? e.target.closest("[data-copy]") : null;
    if (!b) return;
    const text = b.getAttribute("data-copy") || "";
    const done = () => { b.textContent = "Copied"; setTimeout(() => (b.textContent = "Copy"), 1500); };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, () => {});
    else {
      const t = document.createElement("textarea");
      t.value = text; document.body.appendChild(t); t.select();
      try { document.execCommand("copy"); done(); } catch { /* nothing to do */ }
      t.remove();
    }
  });

  for (const el of document.querySelectorAll("[data-live]")) {
    const url = el.getAttribute("data-live");
    if (!url) continue;
    let busy = false;
    setInterval(async () => {
      if (busy || document.hidden) return;
      busy = true;
      try {
        const res = await fetch(url, { credentials: "same-origin", headers: { accept: "text/html" } });
        // A redirect means the session ended: stop replacing rows with the sign-in page.
        if (res.ok && !res.redirected) el.innerHTML = await res.text();
      } catch { /* offline: try again next time */ }
      busy = false;
    }, POLL_MS);
  }
})();
