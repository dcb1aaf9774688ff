// The sandbox host page: a classic-UI stand-in for ServiceNow's OpenFrame host, written from the protocol
// description. It answers openframe_init, openframe_get_config and openframe_visible (and no other request),
// applies the same-origin allowlist like an instance, carries out the widget's publishes, sends events
// (shown/hidden, icon clicks, before_destroy, click-to-call) and logs every message both ways.
// Received text is only ever inserted with textContent.
(function () {
  "use strict";
  var boot = window.SANDBOX;
  var records = boot.records;
  var frameBox = document.getElementById("openframe");
  // In a shadow root with --workspace (as in Workspace pages).
  var shadow = document.getElementById("of-frame-box").shadowRoot;
  var iframe = (shadow || document).getElementById("gsft_openframe");
  var toggle = document.getElementById("openframe-toggle");
  var logList = document.getElementById("protocol-log");
  var contentTitle = document.getElementById("content-title");
  var contentBody = document.getElementById("content-body");

  // The OpenFrame configuration record, editable with ?openframe=<JSON> on this page.
  var config = JSON.parse(JSON.stringify(boot.frameConfig));
  var params = new URLSearchParams(location.search);
  if (params.get("openframe")) {
    try {
      var over = JSON.parse(params.get("openframe"));
      Object.keys(over).forEach(function (k) { config[k] = over[k]; });
    } catch (e) { console.warn("sandbox: ?openframe= is not JSON", e); }
  }
  var allowlist = boot.allowlist.slice();
  if (params.get("allowlist") !== null) {
    allowlist = params.get("allowlist").split(",").filter(Boolean);
  }
  // Replies go to the frame, at the origin of the configured URL (as the classic host does).
  function frameOrigin() { return new URL(iframe.src, location.href).origin; }

  // ---- protocol log ----
  function log(dir, name, args) {
    var li = document.createElement("li");
    li.className = dir;
    var arrow = dir === "in" ? "← " : dir === "out" ? "→ " : "✕ ";
    var text = arrow + name + (args === undefined ? "" : " " + JSON.stringify(args));
    li.textContent = text.length > 600 ? text.slice(0, 600) + "…" : text;
    li.setAttribute("data-event", name);
    logList.appendChild(li);
    while (logList.children.length > 200) logList.removeChild(logList.firstChild);
    logList.scrollTop = logList.scrollHeight;
  }
  document.getElementById("log-clear").addEventListener("click", function () { logList.textContent = ""; });

  function send(eventName, args) {
    var msg = { type: "NOW.PostMessage", eventName: eventName };
    if (args !== undefined) msg.args = args;
    log("out", eventName, args);
    var w = iframe.contentWindow;
    if (w) w.postMessage(JSON.stringify(msg), frameOrigin());
  }
  function reply(id, result) {
    send("openframe_response", { isSuccess: true, context: { id: id, result: result } });
  }

  // ---- the frame window ----
  function applySize() {
    var w = Math.min(Number(config.width) || 373, Math.floor(window.innerWidth * 0.75));
    var h = Math.min(Number(config.height) || 300, Math.floor(window.innerHeight * 0.75));
    iframe.style.width = w + "px";
    iframe.style.height = h + "px";
  }
  function setTitle(t) { document.getElementById("of-title").textContent = t; }
  function setSubtitle(t) { document.getElementById("of-subtitle").textContent = t; }
  setTitle(config.title || "");
  setSubtitle(config.subTitle || "");
  iframe.setAttribute("allow", config.allow || "");
  applySize();

  function setShown(shown) {
    if (frameBox.hidden === !shown) return;
    frameBox.hidden = !shown;
    toggle.setAttribute("aria-pressed", shown ? "true" : "false");
    send(shown ? "openframe_shown" : "openframe_hidden", titleIcon || {});
  }
  toggle.addEventListener("click", function () { setShown(frameBox.hidden); });
  document.getElementById("of-close").addEventListener("click", function () { setShown(false); });

  var titleIcon = null;
  function iconButton(icon, eventName) {
    var b = document.createElement("button");
    b.type = "button";
    b.title = String(icon.imageTitle || "");
    b.setAttribute("aria-label", String(icon.imageTitle || icon.id || "icon"));
    b.setAttribute("data-icon-id", String(icon.id || ""));
    var img = document.createElement("img");
    img.alt = "";
    if (/^(https?:)?\/\//i.test(String(icon.imageURL)) || String(icon.imageURL).charAt(0) === "/") img.src = icon.imageURL;
    b.appendChild(img);
    b.addEventListener("click", function () { send(eventName, icon); });
    return b;
  }

  // ---- the main content area: forms and lists from the record store ----
  function byId(table, id) {
    return (records[table] || []).filter(function (r) { return r.sys_id === id; })[0];
  }
  function field(form, label, value) {
    var row = document.createElement("div");
    row.className = "field";
    var l = document.createElement("label");
    l.textContent = label;
    var v = document.createElement("div");
    if (value instanceof Node) v.appendChild(value); else v.textContent = value == null ? "" : String(value);
    row.appendChild(l); row.appendChild(v);
    form.appendChild(row);
  }
  function phoneField(number, caseRec, contact) {
    var span = document.createElement("span");
    span.className = "phone-value";
    var t = document.createElement("span");
    t.textContent = number;
    span.appendChild(t);
    if (number) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "c2c";
      b.textContent = "☎";
      b.title = "Call " + number;
      b.setAttribute("aria-label", "Call " + number);
      b.setAttribute("data-c2c", number);
      b.addEventListener("click", function () { clickToCall(number, caseRec, contact); });
      span.appendChild(b);
    }
    return span;
  }
  function clickToCall(number, caseRec, contact) {
    var list = [];
    if (caseRec) list.push({ entity: "sn_customerservice_case", query: "sys_id=" + caseRec.sys_id, value: caseRec.number, label: "Case" });
    if (contact) list.push({ entity: "customer_contact", query: "sys_id=" + contact.sys_id, value: contact.name, label: "Contact" });
    send("openframe_communication", { type: "OUTGOING_CALL", data: { metaData: { phoneNumber: number }, data: list } });
  }
  function showHome() {
    contentTitle.textContent = "Home";
    contentBody.textContent = "";
    var p = document.createElement("p");
    p.textContent = "This is the sandbox: a stand-in for a ServiceNow instance.";
    contentBody.appendChild(p);
    contentBody.setAttribute("data-view", "home");
  }
  function showForm(table, query) {
    var m = /(?:^|\^)sys_id=([^\^&]+)/.exec(query || "");
    contentBody.textContent = "";
    contentBody.setAttribute("data-view", "form");
    contentBody.setAttribute("data-table", table);
    contentBody.setAttribute("data-sys-id", m ? m[1] : "");
    function notFound() {
      contentTitle.textContent = table + (m && m[1] === "-1" ? " (new record)" : "");
      var p = document.createElement("p");
      p.textContent = m && m[1] === "-1" ? "New record form (" + query + ")" : "Record not found: " + table + " " + (query || "");
      contentBody.appendChild(p);
    }
    if (!m || m[1] === "-1") { notFound(); return; }
    var rec = byId(table, m[1]);
    if (rec) { renderForm(table, rec); return; }
    // Records beyond the page's seed come from the instance's store.
    fetch("/sandbox/record/" + encodeURIComponent(table) + "/" + encodeURIComponent(m[1]))
      .then(function (r) { if (!r.ok) throw new Error("missing"); return r.json(); })
      .then(function (v) { renderForm(table, v.record); })
      .catch(notFound);
  }
  function renderForm(table, rec) {
    var form = document.createElement("div");
    form.className = "form";
    if (table === "sn_customerservice_case") {
      contentTitle.textContent = "Case - " + rec.number;
      var contact = byId("customer_contact", rec.contact);
      field(form, "Number", rec.number);
      field(form, "Short description", rec.short_description);
      field(form, "Account", rec.account);
      field(form, "Contact", contact ? contact.name : rec.contact);
      if (contact) {
        field(form, "Business phone", phoneField(contact.phone, rec, contact));
        field(form, "Mobile phone", phoneField(contact.mobile_phone, rec, contact));
      }
    } else if (table === "customer_contact") {
      contentTitle.textContent = "Contact - " + rec.name;
      field(form, "Name", rec.name);
      field(form, "Email", rec.email);
      field(form, "Account", rec.account);
      field(form, "Business phone", phoneField(rec.phone, null, rec));
      field(form, "Mobile phone", phoneField(rec.mobile_phone, null, rec));
    } else {
      contentTitle.textContent = table + (rec.name ? " - " + rec.name : "");
      Object.keys(rec).forEach(function (k) { field(form, k, rec[k]); });
    }
    contentBody.appendChild(form);
    showActivity(table, rec.sys_id);
  }
  // The record's activity stream: the journal entries written through the Table API (newest first).
  var activityTimer = null;
  function showActivity(table, id) {
    var box = document.createElement("section");
    box.className = "activity";
    box.setAttribute("aria-label", "Activity stream");
    var h = document.createElement("h2");
    h.textContent = "Activity";
    var list = document.createElement("ol");
    list.id = "activity-stream";
    box.appendChild(h);
    box.appendChild(list);
    contentBody.appendChild(box);
    function load() {
      fetch("/sandbox/record/" + encodeURIComponent(table) + "/" + encodeURIComponent(id)).then(function (r) { return r.json(); }).then(function (v) {
        list.textContent = "";
        v.activity.slice().reverse().forEach(function (j) {
          var li = document.createElement("li");
          li.className = "journal";
          li.textContent = j.value;
          li.setAttribute("data-element", j.element);
          list.appendChild(li);
        });
      }).catch(function () {});
    }
    load();
    if (activityTimer) clearInterval(activityTimer);
    activityTimer = setInterval(function () { if (document.body.contains(list)) load(); else clearInterval(activityTimer); }, 1000);
  }
  function showList(table, query) {
    contentTitle.textContent = table + " list" + (query ? " (" + query + ")" : "");
    contentBody.textContent = "";
    contentBody.setAttribute("data-view", "list");
    contentBody.setAttribute("data-table", table);
    var tableEl = document.createElement("table");
    tableEl.className = "list-table";
    (records[table] || []).forEach(function (r) {
      var tr = document.createElement("tr");
      var td = document.createElement("td");
      var a = document.createElement("a");
      a.href = "#";
      a.textContent = r.number || r.name || r.sys_id;
      a.addEventListener("click", function (e) { e.preventDefault(); showForm(table, "sys_id=" + r.sys_id); });
      td.appendChild(a);
      tr.appendChild(td);
      var td2 = document.createElement("td");
      td2.textContent = r.short_description || r.phone || "";
      tr.appendChild(td2);
      tableEl.appendChild(tr);
    });
    contentBody.appendChild(tableEl);
  }
  function showUrl(url) {
    contentTitle.textContent = url;
    contentBody.textContent = "";
    contentBody.setAttribute("data-view", "url");
    var p = document.createElement("p");
    p.textContent = "The instance would load " + url + " here.";
    contentBody.appendChild(p);
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-nav]"), function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      var t = a.getAttribute("data-nav");
      if (t === "home") showHome(); else showList(t, "");
    });
  });

  // ---- incoming messages ----
  window.addEventListener("message", function (ev) {
    if (allowlist.indexOf(ev.origin) < 0) {
      console.warn("OpenFrame: ignored a message from " + ev.origin +
        ": not in glide.ui.concourse.onmessage_enforce_same_origin_whitelist");
      log("ignored", "from " + ev.origin);
      return;
    }
    var msg;
    try { msg = JSON.parse(String(ev.data)); } catch (e) { log("ignored", "not JSON"); return; }
    if (!msg || msg.type !== "NOW.PostMessage") { log("ignored", "not NOW.PostMessage"); return; }
    var name = msg.eventName, args = msg.args;
    log("in", name, args);
    switch (name) {
      case "openframe_request":
        if (!args || typeof args.id !== "string") return;
        if (args.method === "openframe_init") reply(args.id, { topDomain: location.origin });
        else if (args.method === "openframe_get_config") reply(args.id, config);
        else if (args.method === "openframe_visible") reply(args.id, !frameBox.hidden);
        // Any other request gets no reply, as on a real classic host.
        return;
      case "openframe_show": setShown(true); return;
      case "openframe_hide": setShown(false); return;
      case "openframe_set_header_title":
        if (args && typeof args.title === "string") setTitle(args.title);
        if (args && typeof args.subtitle === "string") setSubtitle(args.subtitle);
        return;
      case "openframe_set_size":
        if (args && args.width > 0 && args.height > 0) { config.width = args.width; config.height = args.height; applySize(); }
        return;
      case "openframe_set_width": if (args && args.width > 0) { config.width = args.width; applySize(); } return;
      case "openframe_set_height": if (args && args.height > 0) { config.height = args.height; applySize(); } return;
      case "openframe_set_header_title_icon": {
        var holder = document.getElementById("of-title-icon");
        holder.textContent = "";
        titleIcon = args || null;
        if (args) holder.appendChild(iconButton(args, "openframe_title_icon_clicked"));
        return;
      }
      case "openframe_set_header_icons": {
        var box = document.getElementById("of-icons");
        box.textContent = "";
        (Array.isArray(args) ? args : []).forEach(function (icon) { box.appendChild(iconButton(icon, "openframe_icon_clicked")); });
        return;
      }
      case "openframe_set_top_frame_url":
        if (!args) return;
        if (args.form) showForm(String(args.form.entity), String(args.form.query || ""));
        else if (args.list) showList(String(args.list.entity), String(args.list.query || ""));
        else if (args.url && typeof args.url.url === "string" && !/^([a-z][a-z0-9+.-]*:|\/\/)/i.test(args.url.url)) showUrl(args.url.url);
        return;
      case "openframe_set_frame_mode":
        frameBox.classList.toggle("collapsed", args === "collapse");
        return;
      case "openframe_set_presence_indicator": {
        var dot = document.getElementById("presence-dot");
        dot.hidden = false;
        dot.className = "presence-dot " + String(args && args.color || "grey");
        dot.title = String(args && args.state || "");
        toggle.title = "Phone: " + dot.title;
        toggle.setAttribute("data-presence", dot.title);
        toggle.setAttribute("data-presence-color", String(args && args.color || ""));
        return;
      }
      default:
        return;
    }
  });

  // Demo line: ring the desktop from here (a custom openframe_communication, as a CTI script could send).
  var demoCallers = [["Beth Anglin", "(415) 555-0123"], ["Fred Luddy", "415.555.0142"], ["Charlie Whitherspoon", "+44 20 7946 0958"]];
  var nextDemo = 0;
  document.getElementById("demo-call").addEventListener("click", function () {
    var c = demoCallers[nextDemo++ % demoCallers.length];
    send("openframe_communication", { type: "INCOMING_CALL", data: { name: c[0], phoneNumber: c[1] } });
  });

  // The page is going away: tell the widget to persist its state.
  window.addEventListener("pagehide", function () { send("openframe_before_destroy"); });

  // ---- drag the window by its header, kept inside the viewport ----
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
    frameBox.style.left = Math.min(Math.max(0, e.clientX - drag.dx), window.innerWidth - w) + "px";
    frameBox.style.top = Math.min(Math.max(0, e.clientY - drag.dy), window.innerHeight - h) + "px";
    frameBox.style.right = "auto";
  });
  header.addEventListener("pointerup", function () { drag = null; });

  // Test and scripting hook: send any host event to the widget (as a ServiceNow script would).
  window.sandboxSend = send;
  window.sandboxShowForm = showForm;
})();
