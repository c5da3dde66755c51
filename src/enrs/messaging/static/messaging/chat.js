// Live chat over the WebSocket /ws/messagerie/; the HTML form keeps working without it.
// Messages sent here are acknowledged once stored; a failed send keeps the text in the box.
const section = document.querySelector(".chat[data-conversation]");

function uuid4() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function render(list, m, me) {
  if (document.getElementById(`m${m.seq}`)) return;
  list.querySelector(".chat__empty")?.remove();
  const li = document.createElement("li");
  li.id = `m${m.seq}`;
  li.className = "chat__message" + (m.sender === me ? " chat__message--mine" : "");
  li.dataset.seq = m.seq;
  const meta = document.createElement("p");
  meta.className = "chat__meta";
  const who = document.createElement("strong");
  who.textContent = m.sender_name;
  meta.append(who, ` — ${new Date(m.created_at).toLocaleString("fr-FR")}`);
  li.append(meta);
  if (m.body) {
    const body = document.createElement("p");
    body.className = "chat__body";
    body.textContent = m.body;
    li.append(body);
  }
  if (m.attachment) {
    const a = document.createElement("a");
    a.href = m.attachment.url;
    a.textContent = `Pièce jointe : ${m.attachment.name}`;
    const p = document.createElement("p");
    p.append(a);
    li.append(p);
  }
  list.append(li);
}

function start() {
  const conversation = Number(section.dataset.conversation);
  const me = Number(section.dataset.user);
  const list = document.getElementById("chat-messages");
  const status = document.getElementById("chat-status");
  const form = document.getElementById("chat-form");
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}${section.dataset.wsPath}`);
  let ready = false;

  socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "subscribe", conversation })));
  socket.addEventListener("close", () => { ready = false; });
  socket.addEventListener("message", (event) => {
    const data = JSON.parse(event.data);
    if (data.type === "subscribed") { ready = true; section.dataset.live = "1"; }
    else if (data.type === "message" && data.conversation === conversation) {
      render(list, data, me);
      if (document.visibilityState === "visible") socket.send(JSON.stringify({ type: "read", conversation, seq: data.seq }));
    } else if (data.type === "ack") {
      form?.querySelector("textarea")?.form.reset();
    } else if (data.type === "closed" && data.conversation === conversation) {
      status.textContent = "Conversation close : plus aucun message ne peut y être écrit.";
      form?.remove();
      document.querySelectorAll("form[action$='/clore/']").forEach((f) => f.remove());
    } else if (data.type === "participant_removed" && data.conversation === conversation && data.user === me) {
      status.textContent = "Vous ne participez plus à cette conversation : plus aucun message ne vous parviendra.";
      form?.remove();
      document.getElementById("manage-participants")?.remove();
      document.getElementById("add-participants")?.remove();
    } else if (data.type === "error") {
      status.textContent = data.message;
      if (data.code === "closed") form?.remove();
    }
  });

  form?.addEventListener("submit", (event) => {
    const file = form.querySelector("input[type=file]");
    if (!ready || (file && file.files.length)) return; // the plain form post handles files and offline
    event.preventDefault();
    const body = form.querySelector("textarea").value;
    if (!body.trim()) { status.textContent = "Le message est vide."; return; }
    socket.send(JSON.stringify({ type: "send", conversation, client_id: uuid4(), body }));
  });
}

if (section && section.dataset.open === "1") start();
