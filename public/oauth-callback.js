// ServiceNow redirects here (the OAuth client's redirect URL) with ?code=&state= or ?error=.
// The result goes to the desktop that opened this window, on this same origin only, never to "*".
(function () {
  var p = new URLSearchParams(location.search);
  var msg = { type: "agent-desktop-oauth", code: p.get("code"), state: p.get("state"), error: p.get("error") };
  if (window.opener && !window.opener.closed) {
    window.opener.postMessage(msg, location.origin);
    document.getElementById("msg").textContent = "Signed in. This window closes itself.";
    setTimeout(function () { window.close(); }, 200);
  } else {
    document.getElementById("msg").textContent = "The desktop that asked for this sign-in is gone. Close this window and sign in again from the desktop.";
  }
})();
