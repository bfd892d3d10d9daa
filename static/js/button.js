/* The button inside the iframe. A click opens the confirmation window on our origin (the iframe
   itself never moves money); that window posts {type: "flattr:flattred", count, …} back to us.
   We accept messages only from our own origin, and refresh the count when the window closes in
   case the message never came (for example after a two-factor step severed window.opener).

   Every other button of ours on the same page for the same target (a thing: its id, or its
   uid + url; a platform account: platform + account), large or compact, updates too: we pass
   the news on over a BroadcastChannel, which only our own origin's frames in the same browser
   partition (the same host page's site) can hear. The host page itself learns nothing. */
(function () {
  "use strict";
  var root = document.getElementById("flattr-button");
  if (!root) { return; }
  var link = root.querySelector(".fb-action");
  var countEl = root.querySelector(".fb-count");
  var popup = null;
  var watch = null;
  var WIDTH = 480;
  var HEIGHT = 640;
  var CHANNEL = "flattr-buttons";
  var channel = null;
  try { channel = window.BroadcastChannel ? new window.BroadcastChannel(CHANNEL) : null; } catch (e) { channel = null; }

  function lower(value) { return String(value || "").toLowerCase(); }

  // What this button flattrs: a platform account alone (no uid, no url), or a thing.
  function target() {
    var uid = root.getAttribute("data-uid") || "";
    var url = root.getAttribute("data-url") || "";
    if (!uid && !url && root.getAttribute("data-account")) {
      return { kind: "account", platform: root.getAttribute("data-platform") || "",
               account: root.getAttribute("data-account") || "" };
    }
    return { kind: "thing", thing: Number(root.getAttribute("data-thing")) || 0, uid: uid, url: url };
  }

  function about(data) {
    var mine = target();
    if (mine.kind === "thing" && mine.thing && Number(data.thing) === mine.thing &&
        (data.kind || "thing") === "thing") {
      return true;
    }
    if ((data.kind || "thing") !== mine.kind) { return false; }
    if (mine.kind === "account") {
      return data.platform === mine.platform && lower(data.account) === lower(mine.account);
    }
    return data.url === mine.url && lower(data.uid) === lower(mine.uid);
  }

  function show(count, flattred) {
    if (typeof count === "number" && isFinite(count) && count >= 0) {
      countEl.textContent = String(count);
    }
    if (flattred) {
      root.classList.add("is-flattred");
      link.setAttribute("aria-label", root.getAttribute("data-flattred-label") || "Flattred");
    }
  }

  function refresh() {
    if (!window.fetch) { return; }
    fetch(root.getAttribute("data-count-url"), { cache: "no-cache", credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { show(data.count, false); } })
      .catch(function () { /* offline: keep the old count */ });
  }

  function tellOthers(data) {
    if (!channel) { return; }
    try { channel.postMessage(data); } catch (e) { /* closed: nothing to tell */ }
  }

  function watchPopup() {
    if (watch) { window.clearInterval(watch); }
    watch = window.setInterval(function () {
      if (!popup || popup.closed) {
        window.clearInterval(watch);
        watch = null;
        popup = null;
        refresh();
        var mine = target();
        mine.type = "flattr:refresh";
        tellOthers(mine);
      }
    }, 700);
  }

  link.addEventListener("click", function (event) {
    var left = Math.max(0, (window.screen.width - WIDTH) / 2);
    var top = Math.max(0, (window.screen.height - HEIGHT) / 3);
    var features = "popup=yes,width=" + WIDTH + ",height=" + HEIGHT + ",left=" + left + ",top=" + top;
    // A window of its own per click, so its opener is always this button.
    var name = "flattr_confirm_" + Math.random().toString(36).slice(2);
    var opened = window.open(link.href, name, features);
    if (opened) {
      // Otherwise the link opens in a new tab by itself (target=_blank rel=opener).
      event.preventDefault();
      popup = opened;
      try { popup.focus(); } catch (e) { /* ignore */ }
      watchPopup();
    }
  });

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin) { return; }
    var data = event.data;
    if (!data || data.type !== "flattr:flattred") { return; }
    if (popup && event.source !== popup) { return; }
    if (!about(data)) { return; } // about another button's target
    show(Number(data.count), true);
    if (data.confirmUrl) { link.href = data.confirmUrl; }
    tellOthers(data);
  });

  if (channel) {
    channel.onmessage = function (event) {
      var data = event.data;
      if (!data || !about(data)) { return; }
      if (data.type === "flattr:flattred") {
        show(Number(data.count), true);
        if (data.confirmUrl) { link.href = data.confirmUrl; }
      } else if (data.type === "flattr:refresh") {
        refresh();
      }
    };
  }

  // Hook for platform apps (flattr.platforms): a button for a platform account carries
  // data-platform and data-account, and the iframe loads that platform's hook script, which
  // defines window.FlattrPlatformHook.decorate(root, account).
  var account = root.getAttribute("data-account");
  if (account) {
    window.addEventListener("load", function () {
      var hook = window.FlattrPlatformHook;
      if (hook && typeof hook.decorate === "function") { hook.decorate(root, account); }
    });
  }
}());
