// Large live captions of one room, for a screen, a phone or an OBS browser source.
// URL: /captions/ROOM?token=T&size=48&lines=3&transparent=1&names=1
// It follows GET /v1/rooms/ROOM/events (Server-Sent Events) and reconnects on its own, asking for the lines
// after the last one it showed (?after=SEQ), so that a network blip loses nothing.
"use strict";

(() => {
  const params = new URLSearchParams(location.search);
  const room = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
  const token = params.get("token");
  const size = Math.min(400, Math.max(8, parseInt(params.get("size") || "48", 10) || 48));
  const maxLines = Math.min(50, Math.max(1, parseInt(params.get("lines") || "3", 10) || 3));
  const transparent = ["1", "true", "yes"].includes((params.get("transparent") || "").toLowerCase());
  const names = params.get("names");  // "1": always show speakers; "0": never; default: when several speak
  const box = document.getElementById("captions");
  const status = document.getElementById("status");

  document.documentElement.style.setProperty("--size", `${size}px`);
  if (transparent) document.body.classList.add("transparent");
  document.title = `Live captions: ${room}`;

  const completed = [];  // {speaker, publisher, text}
  const partials = new Map();  // publisher -> {speaker, text}
  const speakers = new Set();
  let lastSeq = null;  // the highest line number shown (a reconnect asks for those after it)
  const seen = new Set();
  let source = null;
  let retry = null;
  let ended = false;

  function showNames() {
    return names === "1" || (names !== "0" && speakers.size > 1);
  }

  function line(item, cls) {
    const p = document.createElement("p");
    if (cls) p.className = cls;
    if (showNames()) {
      const who = document.createElement("span");
      who.className = "speaker";
      who.textContent = `${item.speaker}:`;
      p.appendChild(who);
    }
    p.appendChild(document.createTextNode(item.text));
    return p;
  }

  function render() {
    const shown = completed.map((c) => line(c, "completed"));
    for (const item of partials.values()) if (item.text) shown.push(line(item, "partial"));
    box.replaceChildren(...shown.slice(-maxLines));
  }

  function onEvent(event) {
    let data;
    try { data = JSON.parse(event.data); } catch { return; }
    if (data.type === "completed") {
      if (seen.has(data.seq)) return;  // already shown
      seen.add(data.seq);
      lastSeq = lastSeq === null ? data.seq : Math.max(lastSeq, data.seq);
      speakers.add(data.publisher);
      completed.push({ speaker: data.label ? `${data.speaker} (${data.label})` : data.speaker, text: data.text });
      if (completed.length > 200) completed.splice(0, completed.length - 200);
      partials.delete(data.publisher);
    } else if (data.type === "partial") {
      speakers.add(data.publisher);
      partials.set(data.publisher, { speaker: data.speaker, text: data.text });
    } else if (data.type === "end") {
      source.close();
      if (data.reason === "the room ended") {
        ended = true;
        status.textContent = "The room has ended.";
        partials.clear();
      } else {
        reconnect(1000);
      }
    }
    render();
  }

  function connect() {
    retry = null;
    const query = new URLSearchParams();
    if (token) query.set("token", token);
    if (lastSeq !== null) query.set("after", String(lastSeq));
    const qs = query.toString();
    source = new EventSource(`/v1/rooms/${encodeURIComponent(room)}/events${qs ? `?${qs}` : ""}`);
    source.onopen = () => { status.textContent = ""; };
    source.onmessage = onEvent;
    source.onerror = () => {
      // EventSource retries by itself after a dropped stream; after a refusal (404: no such room yet) it
      // gives up, and so we try again a little later.
      if (source.readyState === EventSource.CLOSED) {
        status.textContent = "Waiting for the room…";
        reconnect(5000);
      } else {
        status.textContent = "Reconnecting…";
      }
    };
  }

  function reconnect(delay) {
    if (ended || retry !== null) return;
    if (source) source.close();
    retry = setTimeout(connect, delay);
  }

  window.captions = { state: () => ({ completed: completed.length, lastSeq, ended }) };
  connect();
})();
