// Video room: full mesh of RTCPeerConnections with "perfect negotiation" (W3C WebRTC 1.0 §10.7,
// MDN "Establishing a connection: the WebRTC perfect negotiation pattern"), signaling over
// ws/telesante/salle/<id>/ (see enrs/telehealth/consumers.py). No framework, no inline script.
const root = document.getElementById("video-room");

if (root) {
  const text = (key) => document.getElementById("i18n").content.querySelector(`[data-key="${key}"]`).textContent.trim();
  const iceServers = JSON.parse(document.getElementById("ice-servers").textContent);
  const statusLine = document.getElementById("room-status");
  const grid = document.getElementById("video-grid");
  const waitingList = document.getElementById("waiting-list");
  const buttons = Object.fromEntries(["join", "mic", "cam", "leave"].map((n) => [n, document.getElementById(`btn-${n}`)]));
  const peers = new Map(); // peer id -> {pc, polite, makingOffer, ignoreOffer, tile}
  let socket = null;
  let localStream = null;
  let myId = "";
  let lastError = "";

  const setStatus = (message) => { statusLine.textContent = message; };
  const send = (message) => { if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message)); };

  function tileFor(peerId, name) {
    const figure = document.createElement("figure");
    figure.className = "video-tile";
    figure.dataset.peer = peerId;
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    const caption = document.createElement("figcaption");
    caption.textContent = name || "";
    figure.append(video, caption);
    grid.append(figure);
    return figure;
  }

  function peerFor(peerId, name) {
    let peer = peers.get(peerId);
    if (peer) return peer;
    const pc = new RTCPeerConnection({ iceServers });
    peer = { pc, polite: myId < peerId, makingOffer: false, ignoreOffer: false, tile: tileFor(peerId, name) };
    peers.set(peerId, peer);
    for (const track of localStream.getTracks()) pc.addTrack(track, localStream);
    pc.onnegotiationneeded = async () => {
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        send({ type: pc.localDescription.type, to: peerId, payload: { description: pc.localDescription.toJSON() } });
      } catch (error) {
        console.error(error);
      } finally {
        peer.makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => send({ type: "ice", to: peerId, payload: { candidate: candidate ? candidate.toJSON() : null } });
    pc.ontrack = ({ track, streams }) => {
      const video = peer.tile.querySelector("video");
      video.srcObject = streams[0] || new MediaStream([track]);
      video.play().catch(() => {});
    };
    pc.onconnectionstatechange = () => { if (pc.connectionState === "failed") pc.restartIce(); };
    return peer;
  }

  function dropPeer(peerId) {
    const peer = peers.get(peerId);
    if (!peer) return;
    peer.pc.close();
    peer.tile.remove();
    peers.delete(peerId);
  }

  async function onDescription(from, description) {
    const peer = peerFor(from, "");
    const pc = peer.pc;
    const collision = description.type === "offer" && (peer.makingOffer || pc.signalingState !== "stable");
    peer.ignoreOffer = !peer.polite && collision;
    if (peer.ignoreOffer) return;
    await pc.setRemoteDescription(description);
    if (description.type === "offer") {
      await pc.setLocalDescription();
      send({ type: "answer", to: from, payload: { description: pc.localDescription.toJSON() } });
    }
  }

  async function onCandidate(from, candidate) {
    const peer = peers.get(from);
    if (!peer) return;
    try {
      await peer.pc.addIceCandidate(candidate);
    } catch (error) {
      if (!peer.ignoreOffer) console.error(error);
    }
  }

  function showWaiting(list) {
    if (!waitingList) return;
    waitingList.replaceChildren();
    if (!list.length) {
      const li = document.createElement("li");
      li.textContent = text("nobody");
      waitingList.append(li);
      return;
    }
    for (const entry of list) {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = entry.name;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn--small";
      button.textContent = `${text("admit")} ${entry.name}`;
      button.addEventListener("click", () => { button.disabled = true; send({ type: "admit", to: entry.peer }); });
      li.append(name, button);
      waitingList.append(li);
    }
  }

  function goLive() {
    setStatus(text("live"));
    send({ type: "join" });
  }

  async function onMessage(message) {
    switch (message.type) {
      case "hello":
        myId = message.peer;
        root.dataset.peer = myId;
        if (message.live) goLive(); else setStatus(text("waiting"));
        break;
      case "admitted": goLive(); break;
      case "waiting": showWaiting(message.peers); break;
      case "join":
        peerFor(message.from, message.name).tile.querySelector("figcaption").textContent = message.name;
        setStatus(`${message.name} ${text("joined")}`);
        break;
      case "offer":
      case "answer": await onDescription(message.from, message.payload.description); break;
      case "ice": await onCandidate(message.from, message.payload.candidate); break;
      case "leave": dropPeer(message.from); break;
      case "error": lastError = message.message; setStatus(message.message); break;
      default: break;
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}${root.dataset.ws}`);
    socket.addEventListener("message", (event) => onMessage(JSON.parse(event.data)).catch((error) => console.error(error)));
    socket.addEventListener("close", (event) => {
      root.dataset.closeCode = String(event.code);
      setStatus(lastError || event.reason || text("closed"));
      for (const id of [...peers.keys()]) dropPeer(id);
    });
  }

  function toggle(kind, button) {
    const tracks = kind === "mic" ? localStream.getAudioTracks() : localStream.getVideoTracks();
    const off = button.getAttribute("aria-pressed") !== "true";
    for (const track of tracks) track.enabled = !off;
    button.setAttribute("aria-pressed", String(off));
    button.textContent = text(`${kind}_${off ? "on" : "off"}`);
  }

  buttons.join.addEventListener("click", async () => {
    buttons.join.disabled = true;
    try {
      localStream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    } catch (error) {
      setStatus(text("media"));
      buttons.join.disabled = false;
      return;
    }
    document.getElementById("local-video").srcObject = localStream;
    buttons.join.hidden = true;
    buttons.mic.hidden = buttons.cam.hidden = buttons.leave.hidden = false;
    connect();
  });
  buttons.mic.addEventListener("click", () => toggle("mic", buttons.mic));
  buttons.cam.addEventListener("click", () => toggle("cam", buttons.cam));
  buttons.leave.addEventListener("click", () => {
    send({ type: "leave" });
    lastError = text("left");
    if (socket) socket.close();
    for (const track of localStream.getTracks()) track.stop();
    buttons.mic.hidden = buttons.cam.hidden = buttons.leave.hidden = true;
  });

  // Diagnostics (and the browser test): inbound video frames decoded per peer, from getStats().
  window.enrsVideoRoom = {
    peers,
    async framesDecoded() {
      const result = {};
      for (const [id, peer] of peers) {
        const stats = await peer.pc.getStats();
        let frames = 0;
        stats.forEach((report) => { if (report.type === "inbound-rtp" && report.kind === "video") frames += report.framesDecoded || 0; });
        result[id] = frames;
      }
      return result;
    },
  };
}
