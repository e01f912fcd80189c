// The personal pass: a live clock (a screenshot shows a stopped one) and a new code every minute.
(function () {
  const box = document.querySelector("[data-pass]");
  if (!box) return;
  const clock = box.querySelector("[data-clock]");
  let expires = new Date(box.dataset.expires);

  function tick() {
    const now = new Date();
    // The group's time (a phone abroad or set to another zone still shows what the gate's clock says).
    clock.textContent = now.toLocaleTimeString(document.documentElement.lang || undefined, {
      hour12: false,
      timeZone: box.dataset.timeZone || undefined,
    });
    const stale = now > expires;
    box.dataset.stale = stale ? "1" : "0";
    box.querySelector("[data-stale-note]").hidden = !stale;
  }

  async function renew() {
    let wait = 60;
    try {
      const response = await fetch(box.dataset.tokenUrl, { credentials: "same-origin", cache: "no-store" });
      if (response.ok) {
        const body = await response.json();
        box.querySelector("[data-qr]").innerHTML = body.svg;
        box.dataset.colour = body.colour;
        box.querySelector("[data-colour-text]").textContent = body.colour_text;
        expires = new Date(body.expires);
        wait = Math.max(10, body.refresh_in);
      } else if (response.status === 403 || response.status === 401) {
        location.reload();
        return;
      }
    } catch {
      wait = 15;
    }
    tick();
    setTimeout(renew, wait * 1000);
  }

  tick();
  setInterval(tick, 1000);
  setTimeout(renew, Number(box.dataset.refreshIn || 60) * 1000);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) renew(); });
})();
