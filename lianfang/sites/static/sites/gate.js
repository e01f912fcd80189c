// The gate page (卡口): decide at once, online or not, and never lose a record.
//
// Online, the server decides and records (POST check). Offline — or when the server does not answer
// within a few seconds — the page decides alone: a phone pass is verified here with the cached public
// keys (@noble/ed25519), a printed card or a typed number follows the checkpoint's offline rule. Each
// record has a client id and waits in IndexedDB until the upload (POST upload) says it is stored; the
// server stores an id once, so an upload repeated after a lost answer adds nothing.
import * as ed from "../vendor/noble-ed25519/index.js";

const config = JSON.parse(document.getElementById("gate-config").textContent);
const root = document.querySelector("[data-gate]");
const csrf = root.dataset.csrf;
const $ = (sel) => root.querySelector(sel);
const KEYS_STORE = `lianfang-gate-keys`;
const SERVER_WAIT_MS = 3000;

// --- the queue ------------------------------------------------------------------------------------
const DB_NAME = "lianfang-gate";
const STORE = `queue-${config.checkpoint.id}`;

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME + "-" + config.checkpoint.id, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "client_id" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
const dbPromise = openDb();

async function tx(mode, fn) {
  const db = await dbPromise;
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const result = fn(t.objectStore(STORE));
    t.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
    t.onerror = () => reject(t.error);
  });
}
const queueAdd = (record) => tx("readwrite", (s) => s.put(record));
const queueAll = () => tx("readonly", (s) => s.getAll());
const queueDelete = (ids) => tx("readwrite", (s) => ids.forEach((id) => s.delete(id)));

async function showQueue() {
  const all = await queueAll();
  $("[data-queue]").textContent = String(all.length);
  root.dataset.queued = String(all.length);
}

// --- offline verification ---------------------------------------------------------------------------
function b64urlBytes(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function cachedKeys() {
  try {
    return { ...JSON.parse(localStorage.getItem(KEYS_STORE) || "{}"), ...config.keys };
  } catch {
    return { ...config.keys };
  }
}
localStorage.setItem(KEYS_STORE, JSON.stringify(cachedKeys()));

// Pass ids let in here while offline, so a screenshot cannot pass twice before the upload.
const usedOffline = new Set();

export async function verifyPass(text, now = Date.now()) {
  const parts = text.trim().split(".");
  if (parts.length !== 3 || parts[0] !== "LF1") return { reason: "forged" };
  let claims;
  try {
    claims = JSON.parse(new TextDecoder().decode(b64urlBytes(parts[1])));
  } catch {
    return { reason: "forged" };
  }
  const key = cachedKeys()[claims.k];
  if (!key) return { reason: "forged" };
  let ok = false;
  try {
    ok = await ed.verifyAsync(b64urlBytes(parts[2]), new TextEncoder().encode(parts[0] + "." + parts[1]), b64urlBytes(key));
  } catch {
    ok = false;
  }
  if (!ok) return { reason: "forged" };
  if (now / 1000 > claims.x + config.skew_seconds) return { reason: "expired", claims };
  return { claims };
}
window.lianfangVerifyPass = verifyPass; // the benchmark and the tests call it

function minutes(hhmm) {
  const [h, m] = hhmm.split(":").map(Number);
  return h * 60 + m;
}

function isOpen(date) {
  const c = config.checkpoint;
  if (!c.is_active) return false;
  if (!c.opens_at) return true;
  const now = date.getHours() * 60 + date.getMinutes();
  const open = minutes(c.opens_at), close = minutes(c.closes_at);
  return open <= close ? open <= now && now < close : now >= open || now < close;
}

function colourAllowed(colour) {
  return config.checkpoint.required_colour === "not_red" ? colour !== "red" : colour === "green";
}

async function decideOffline(code, direction, reading) {
  const c = config.checkpoint;
  const at = new Date();
  const shown = { name: "", unit: "", colour: "" };
  if (!code.startsWith("LF1.")) {
    // A typed number: nothing here says who it is or their colour.
    if (c.offline_policy === "admit") return { decision: "allow", note: config.text.number_offline_admit, ...shown };
    return { decision: "deny", reason: "offline", ...shown };
  }
  const { claims, reason } = await verifyPass(code, at.getTime());
  if (claims) Object.assign(shown, { name: claims.n, unit: claims.u, colour: claims.c || "" });
  if (reason) return { decision: "deny", reason, ...shown };
  if (!isOpen(at)) return { decision: "deny", reason: "hours", ...shown };
  if (!(config.checkpoint.directions === "both" || config.checkpoint.directions === direction)) {
    return { decision: "deny", reason: "direction", ...shown };
  }
  // A visitor's pass: the site and day are checked on upload; here, whether this gate takes visitors.
  if (claims.t === "v" && !config.checkpoint.visitors_allowed) return { decision: "deny", reason: "no_appointment", ...shown };
  const replayKey = `${claims.j}:${claims.t === "v" ? "in" : direction}`;
  if (claims.t !== "c" && usedOffline.has(replayKey)) return { decision: "deny", reason: "replayed", ...shown };
  let result;
  if (direction === "out") {
    result = { decision: "allow", ...shown };
  } else if (claims.t === "c") {
    result = c.offline_policy === "admit"
      ? { decision: "allow", note: config.text.card_offline_admit, ...shown }
      : { decision: "deny", reason: "offline", ...shown };
  } else if (claims.t === "p" && !colourAllowed(claims.c)) {
    result = { decision: "deny", reason: "colour", ...shown };
  } else if (reading.fever) {
    result = { decision: "deny", reason: "fever", ...shown };
  } else {
    result = { decision: "allow", note: claims.t === "v" ? config.text.visitor_offline : "", ...shown };
  }
  if (result.decision === "allow") usedOffline.add(replayKey);
  return result;
}

// --- the answer on screen -------------------------------------------------------------------------------
function show(result, offline) {
  const box = $("[data-result]");
  box.hidden = false;
  root.dataset.state = result.decision;
  box.dataset.decision = result.decision;
  box.dataset.reason = result.reason || "";
  box.dataset.colour = result.colour || "";
  $('[data-show="verdict"]').textContent = result.decision === "allow" ? config.text.allowed : config.text.denied;
  $('[data-show="name"]').textContent = result.name || "";
  $('[data-show="unit"]').textContent = [result.unit, config.colours[result.colour] || ""].filter(Boolean).join(" · ");
  const lines = [];
  if (result.reason) lines.push(result.reason_text || config.reasons[result.reason] || result.reason);
  if (result.note) lines.push(result.note);
  if (offline) lines.push(config.text.offline);
  $('[data-show="why"]').textContent = lines.join("；");
  if (navigator.vibrate) navigator.vibrate(result.decision === "allow" ? 60 : [120, 80, 120]);
}

function setOnline(online) {
  root.dataset.online = online ? "1" : "0";
  $('[data-net="online"]').hidden = !online;
  $('[data-net="offline"]').hidden = online;
}

// --- a passage -------------------------------------------------------------------------------------------
function readTemperature() {
  const input = root.querySelector('[name="temperature"]');
  if (!input) return { temperature: null, temperature_ok: null, fever: false };
  const normal = root.querySelector('[name="temperature_ok"]');
  const value = input.value.trim();
  if (value) {
    const t = Number(value);
    return { temperature: value, temperature_ok: null, fever: t >= config.checkpoint.max_temperature };
  }
  if (normal) return { temperature: null, temperature_ok: normal.checked, fever: !normal.checked };
  return { temperature: null, temperature_ok: null, fever: false };
}

function direction() {
  const checked = root.querySelector('[name="direction"]:checked') || root.querySelector('[name="direction"]');
  return checked ? checked.value : "in";
}

async function post(url, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), SERVER_WAIT_MS);
  try {
    return await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
      signal: controller.signal,
    });
  } finally {
    clearTimeout(timer);
  }
}

let busy = false;
export async function pass(code, method) {
  code = (code || "").trim();
  if (!code || busy) return;
  busy = true;
  const reading = readTemperature();
  const record = {
    client_id: crypto.randomUUID ? crypto.randomUUID() : fallbackUuid(),
    code,
    method,
    direction: direction(),
    at: new Date().toISOString(),
    temperature: reading.temperature,
    temperature_ok: reading.temperature_ok,
  };
  try {
    let answer = null;
    if (navigator.onLine) {
      try {
        const response = await post(config.urls.check, record);
        if (response.ok) answer = await response.json();
        else if (response.status === 400) {
          const body = await response.json();
          show({ decision: "deny", reason: "", note: Object.values(body.errors).flat().join(" ") }, false);
          return;
        } else if (response.status === 403 || response.status === 404) {
          location.reload();
          return;
        }
      } catch {
        answer = null; // no answer in time: decide here
      }
    }
    if (answer) {
      setOnline(true);
      show(answer, false);
    } else {
      setOnline(false);
      const result = await decideOffline(code, record.direction, reading);
      show(result, true);
      await queueAdd({ ...record, decision: result.decision, reason: result.reason || "" });
      await showQueue();
    }
  } finally {
    busy = false;
    const input = $("#gate-code");
    input.value = "";
    const temp = root.querySelector('[name="temperature"]');
    if (temp) temp.value = "";
    input.focus();
  }
}

function fallbackUuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// --- upload when the network is back ------------------------------------------------------------------------
let uploading = false;
export async function upload() {
  if (uploading || !navigator.onLine) return;
  uploading = true;
  try {
    const records = await queueAll();
    if (!records.length) return;
    for (let i = 0; i < records.length; i += 200) {
      const batch = records.slice(i, i + 200);
      const response = await post(config.urls.upload, { records: batch });
      if (!response.ok) return;
      const body = await response.json();
      // Stored, or refused for good (malformed: kept would block the queue forever).
      await queueDelete([...body.stored, ...Object.keys(body.refused || {})]);
      setOnline(true);
    }
    await refreshKeys();
  } catch {
    setOnline(false);
  } finally {
    uploading = false;
    await showQueue();
  }
}

async function refreshKeys() {
  try {
    const response = await fetch(config.urls.keys, { credentials: "same-origin" });
    if (!response.ok) return;
    const body = await response.json();
    config.keys = body.keys;
    localStorage.setItem(KEYS_STORE, JSON.stringify(body.keys));
  } catch {
    /* offline: keep the cached keys */
  }
}

window.addEventListener("online", () => { setOnline(true); upload(); });
window.addEventListener("offline", () => setOnline(false));
setInterval(upload, 15000);
setInterval(refreshKeys, 10 * 60 * 1000);

// --- input: scanner or typed number, camera --------------------------------------------------------------------
$("[data-code-form]").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = $("#gate-code").value;
  // A keyboard-wedge scanner types a whole pass and Enter within milliseconds; a person types a number.
  pass(value, value.trim().startsWith("LF1.") ? "scanner" : "typed");
});

let scanner = null;
let lastScan = { text: "", at: 0 };
$("[data-camera-start]").addEventListener("click", async () => {
  const note = $("[data-camera-note]");
  try {
    const { default: QrScanner } = await import("../vendor/qr-scanner/qr-scanner.min.js");
    scanner = scanner || new QrScanner(
      $("[data-video]"),
      (result) => {
        const text = result.data || result;
        const now = Date.now();
        if (text === lastScan.text && now - lastScan.at < 4000) return; // the same code still in view
        lastScan = { text, at: now };
        pass(text, "camera");
      },
      {
        returnDetailedScanResult: true,
        preferredCamera: "environment",
        maxScansPerSecond: 8,
        // Most of the picture, not the library's central two-thirds: staff in a hurry do not aim.
        calculateScanRegion: (video) => {
          const side = Math.round(Math.min(video.videoWidth, video.videoHeight) * 0.95);
          const scaled = Math.min(side, 720);
          return {
            x: Math.round((video.videoWidth - side) / 2),
            y: Math.round((video.videoHeight - side) / 2),
            width: side,
            height: side,
            downScaledWidth: scaled,
            downScaledHeight: scaled,
          };
        },
      },
    );
    await scanner.start();
    root.dataset.camera = "on";
    $("[data-camera-start]").hidden = true;
  } catch (error) {
    note.textContent = config.text.camera_refused;
    note.hidden = false;
    root.dataset.camera = "refused";
    $("#gate-code").focus();
  }
});

setOnline(navigator.onLine);
showQueue();
upload();
$("#gate-code").focus();
root.dataset.ready = "1";
