// Hands ?code=&state= (or ?error=) to the desktop that opened this window, on this origin only.
(function () {
  var p = new URLSearchParams(location.search), el = document.getElementById("msg");
  if (window.opener && !window.opener.closed) {
    window.opener.postMessage({ type: "agent-desktop-oauth", code: p.get("code"), state: p.get("state"), error: p.get("error") }, location.origin);
    el.textContent = "Signed in. This window closes itself.";
    setTimeout(function () { window.close(); }, 200);
  } else {
    el.textContent = "The desktop that asked for this sign-in is gone. Close this window and sign in again from the desktop.";
  }
})();
