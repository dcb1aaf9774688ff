// The far end's page for the interop tests: one browser SIP stack (SIP.js or JsSIP, from node_modules served by
// the test's own HTTP server) behind one small API that the test drives with WebDriver: window.peer.
// Everything that happens is appended to peer.log; the remote audio plays in <audio data-remote-audio>.
window.peer = {
  log: [],
  state: 'idle',
  note(what) { this.log.push(what); document.getElementById('log').textContent = this.log.join('\n'); },
  set(state) { this.state = state; this.note('state ' + state); },
  // Plays the remote tracks of a peer connection in the page's audio element (a fresh one per call).
  play(pc) {
    const old = document.querySelector('audio[data-remote-audio]');
    if (old) { old.srcObject = null; old.remove(); }
    const el = document.createElement('audio');
    el.autoplay = true;
    el.setAttribute('data-remote-audio', '');
    el.srcObject = new MediaStream(pc.getReceivers().map(r => r.track).filter(t => t && t.kind === 'audio'));
    document.body.appendChild(el);
  },
};
