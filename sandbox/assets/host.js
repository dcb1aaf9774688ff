// The sandbox host page: the floating, draggable OpenFrame window.
(function () {
  "use strict";
  var frameBox = document.getElementById("openframe");
  var toggle = document.getElementById("openframe-toggle");
  function setShown(shown) {
    frameBox.hidden = !shown;
    toggle.setAttribute("aria-pressed", shown ? "true" : "false");
  }
  toggle.addEventListener("click", function () { setShown(frameBox.hidden); });
  document.getElementById("of-close").addEventListener("click", function () { setShown(false); });

  // Drag the window by its header, kept inside the viewport.
  var header = document.getElementById("of-header");
  var drag = null;
  header.addEventListener("pointerdown", function (e) {
    if (e.target.closest("button")) return;
    var r = frameBox.getBoundingClientRect();
    drag = { dx: e.clientX - r.left, dy: e.clientY - r.top };
    header.setPointerCapture(e.pointerId);
  });
  header.addEventListener("pointermove", function (e) {
    if (!drag) return;
    var w = frameBox.offsetWidth, h = frameBox.offsetHeight;
    var x = Math.min(Math.max(0, e.clientX - drag.dx), window.innerWidth - w);
    var y = Math.min(Math.max(0, e.clientY - drag.dy), window.innerHeight - h);
    frameBox.style.left = x + "px";
    frameBox.style.top = y + "px";
    frameBox.style.right = "auto";
  });
  header.addEventListener("pointerup", function () { drag = null; });
})();
