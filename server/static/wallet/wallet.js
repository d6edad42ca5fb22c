/* The ticket holder's page (issue 18): activate the ticket on this phone, then show a code
   that changes every 15 s, with or without internet.

   The phone's key is an Ed25519 key pair made here by WebCrypto, not extractable: the private
   half never leaves the browser (IndexedDB keeps the CryptoKey object itself). The server
   gets the public half once, at activation, and puts it in the ticket list the doors have.
   The ticket's facts and the gap between the server's clock and the phone's (measured at
   each contact with the server) are kept in localStorage, so the code is right offline. */
"use strict";

(function () {
  // The phone's language (?lang=xx first), else English: words.js has ten.
  function pickLanguage() {
    var wanted = [new URLSearchParams(location.search).get("lang") || ""].concat(
      navigator.languages || [navigator.language || ""]
    );
    for (var i = 0; i < wanted.length; i++) {
      var base = String(wanted[i] || "").toLowerCase().split("-")[0];
      if (WALLET_WORDS[base]) return base;
    }
    return "en";
  }
  var LANG = pickLanguage();
  var WORDS = Object.assign({}, WALLET_WORDS.en, WALLET_WORDS[LANG]);
  var STATUS_WORDS = {
    revoked: WORDS.cancelled,
    cancelled: WORDS.cancelled,
    refunded: WORDS.refunded,
    transferred: WORDS.transferred,
  };

  var token = decodeURIComponent(location.pathname.split("/")[2] || "");
  var api = "/v1/wallet/" + encodeURIComponent(token);
  var storeKey = "gatehouse.wallet." + token;
  var key = null; // {privateKey, publicKey, publicB64}
  var saved = null; // {facts, offset, here}
  var lastStep = null;
  var timer = null;

  function $(id) {
    return document.getElementById(id);
  }

  function setState(state) {
    document.body.dataset.state = state;
  }

  // -- storage ----------------------------------------------------------------------------
  function loadSaved() {
    try {
      return JSON.parse(localStorage.getItem(storeKey)) || { facts: null, offset: 0, here: false };
    } catch (e) {
      return { facts: null, offset: 0, here: false };
    }
  }

  function save() {
    localStorage.setItem(storeKey, JSON.stringify(saved));
  }

  function db() {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open("gatehouse-wallet", 1);
      open.onupgradeneeded = function () {
        open.result.createObjectStore("keys");
      };
      open.onsuccess = function () {
        resolve(open.result);
      };
      open.onerror = function () {
        reject(open.error);
      };
    });
  }

  function idb(mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction("keys", mode);
        var req = fn(tx.objectStore("keys"));
        tx.oncomplete = function () {
          resolve(req.result);
        };
        tx.onerror = function () {
          reject(tx.error);
        };
      });
    });
  }

  function b64url(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  async function newKey() {
    var pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    var raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    var k = { privateKey: pair.privateKey, publicKey: pair.publicKey, publicB64: b64url(raw) };
    await idb("readwrite", function (s) {
      return s.put(k, token);
    });
    return k;
  }

  function forget() {
    // This phone no longer holds the ticket: drop its key and what it showed.
    stopCode();
    key = null;
    saved = { facts: null, offset: saved ? saved.offset : 0, here: false };
    try {
      localStorage.removeItem(storeKey);
    } catch (e) {
      /* nothing kept */
    }
    idb("readwrite", function (s) {
      return s.delete(token);
    }).catch(function () {
      /* already gone */
    });
  }

  // -- the server ---------------------------------------------------------------------------
  async function call(method, path, body) {
    var sent = Date.now();
    var response = await fetch(path, {
      method: method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      cache: "no-store",
    });
    var back = Date.now();
    var data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = {};
    }
    if (response.ok && typeof data.server_time === "number") {
      // The server's clock minus the phone's, at the middle of the round trip.
      saved.offset = data.server_time - (sent + back) / 2000;
    }
    return { status: response.status, data: data };
  }

  // -- what the page shows ------------------------------------------------------------------
  function showFacts(facts) {
    if (!facts) return;
    $("event").textContent = facts.event.name;
    $("holder").textContent = facts.holder || "";
    $("tier").textContent = facts.tier.name;
    $("number").textContent = facts.number;
    document.title = facts.event.name;
  }

  function say(state, text, button, onClick) {
    stopCode();
    setState(state);
    $("code-box").hidden = true;
    $("message-box").hidden = false;
    $("message").textContent = text;
    var action = $("action");
    action.hidden = !button;
    action.textContent = button || "";
    action.onclick = onClick || null;
  }

  function stopCode() {
    if (timer) clearInterval(timer);
    timer = null;
    lastStep = null;
  }

  function draw(text) {
    var qr = qrcode(0, "M");
    qr.addData(text, "Alphanumeric");
    qr.make();
    var count = qr.getModuleCount();
    var quiet = 4;
    var size = count + 2 * quiet;
    var scale = Math.max(8, Math.floor(640 / size));
    var canvas = $("qr");
    canvas.width = canvas.height = size * scale;
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#000";
    for (var r = 0; r < count; r++) {
      for (var c = 0; c < count; c++) {
        if (qr.isDark(r, c)) ctx.fillRect((c + quiet) * scale, (r + quiet) * scale, scale, scale);
      }
    }
    canvas.dataset.version = String((count - 17) / 4);
  }

  async function tick() {
    var now = Date.now() / 1000 + (saved.offset || 0);
    var step = GR1.stepAt(now);
    var left = Math.ceil((step + 1) * GR1.STEP_SECONDS - now);
    $("seconds").textContent = String(Math.max(1, Math.min(GR1.STEP_SECONDS, left)));
    if (step !== lastStep) {
      lastStep = step;
      var facts = saved.facts;
      var text = await GR1.code(key.privateKey, facts.event.id, facts.ticket_id, step);
      if (lastStep === step) {
        draw(text);
        document.body.dataset.step = String(step);
      }
    }
  }

  function showCode(offline) {
    showFacts(saved.facts);
    setState("code");
    $("message-box").hidden = true;
    $("code-box").hidden = false;
    $("offline-note").hidden = !offline;
    document.body.dataset.offline = offline ? "yes" : "no";
    if (!timer) {
      tick();
      timer = setInterval(tick, 250);
    }
  }

  function refused(result) {
    var data = result.data || {};
    if (result.status === 409 && data.error === "already_active") {
      saved.here = false;
      save();
      say("other_phone", WORDS.other_phone);
    } else if (result.status === 409 && data.error === "ticket_not_valid") {
      say("not_valid", WORDS.not_valid.replace("{status}", WORDS.invalid));
    } else if (result.status === 410 && data.error === "link_replaced") {
      // The organizer reset the ticket's phone, which retired this link: a stolen phone or
      // a leaked link cannot take the ticket back. Forget it here and say so.
      var hadIt = saved.here || !!key;
      forget();
      say("moved", hadIt ? WORDS.moved : WORDS.old_link);
    } else if (result.status === 404) {
      say("bad_link", WORDS.bad_link);
    } else if (result.status === 429) {
      say("error", WORDS.too_many, WORDS.try_again, start);
    } else {
      say("error", WORDS.failed, WORDS.try_again, start);
    }
  }

  async function activate() {
    say("activating", WORDS.activating);
    var result;
    try {
      key = await newKey();
      result = await call("POST", api + "/activate", { public_key: key.publicB64 });
    } catch (e) {
      say("error", WORDS.failed, WORDS.try_again, start);
      return;
    }
    if (result.status !== 200) {
      refused(result);
      return;
    }
    saved.facts = result.data;
    saved.here = true;
    save();
    showCode(false);
  }

  async function start() {
    stopCode();
    if (!window.isSecureContext) {
      say("error", WORDS.not_secure);
      return;
    }
    if (!window.crypto || !crypto.subtle || !window.indexedDB) {
      say("error", WORDS.no_crypto);
      return;
    }
    saved = loadSaved();
    showFacts(saved.facts);
    if (!saved.facts) say("loading", WORDS.loading);
    key = await idb("readonly", function (s) {
      return s.get(token);
    }).catch(function () {
      return null;
    });
    var result;
    try {
      result = await call("GET", api);
    } catch (e) {
      // No internet: a phone that holds the ticket still shows its code.
      if (saved.here && saved.facts && key) showCode(true);
      else say("offline_new", WORDS.offline_new);
      return;
    }
    if (result.status !== 200) {
      refused(result);
      return;
    }
    var facts = result.data;
    saved.facts = facts;
    save();
    showFacts(facts);
    if (facts.status !== "valid") {
      saved.here = false;
      save();
      var status = STATUS_WORDS[facts.status] || WORDS.invalid;
      say("not_valid", WORDS.not_valid.replace("{status}", status));
      return;
    }
    if (facts.phone_key && key && facts.phone_key === key.publicB64) {
      saved.here = true;
      save();
      showCode(false);
    } else if (facts.phone_key) {
      saved.here = false;
      save();
      say("other_phone", WORDS.other_phone);
    } else {
      // Not on any phone with this link. (A reset gives the ticket a new link, so a phone
      // the organizer took it off never gets here: it gets 410 link_replaced instead.)
      activate();
    }
  }

  function offlineReady() {
    // The page caches itself (the service worker cannot know this ticket's address).
    if (!("serviceWorker" in navigator) || !window.caches) return;
    navigator.serviceWorker
      .register("/wallet/sw.js", { scope: "/wallet/" })
      .then(function () {
        return navigator.serviceWorker.ready;
      })
      .then(function () {
        return caches.open("gatehouse-wallet-v1");
      })
      .then(function (cache) {
        return cache.addAll([
          location.pathname,
          "/wallet/app/wallet.css",
          "/wallet/app/wallet.js",
          "/wallet/app/words.js",
          "/wallet/app/gr1.js",
          "/wallet/app/qrcode.js",
        ]);
      })
      .then(function () {
        document.body.dataset.offlineReady = "yes";
      })
      .catch(function () {
        /* online only, as before: nothing to tell the guest */
      });
  }

  document.documentElement.lang = LANG;
  document.documentElement.dir = LANG === "ar" ? "rtl" : "ltr";
  document.title = WORDS.title;
  document.querySelectorAll("[data-word]").forEach(function (el) {
    el.textContent = WORDS[el.dataset.word];
  });
  $("qr").setAttribute("aria-label", WORDS.code_label);
  $("manifest-link").href = "/wallet/" + encodeURIComponent(token) + "/manifest.webmanifest";
  // Back online after a while: check in with the server again (clock, reset).
  window.addEventListener("online", function () {
    start();
  });
  setInterval(function () {
    if (document.body.dataset.state === "code" && navigator.onLine) {
      call("GET", api)
        .then(function (result) {
          if (result.status === 410) {
            start(); // the organizer moved the ticket off this phone: say so now
          } else if (result.status === 200) {
            var f = result.data;
            saved.facts = f;
            save();
            if (f.status !== "valid" || f.phone_key !== (key && key.publicB64)) start();
            else $("offline-note").hidden = true;
          }
        })
        .catch(function () {
          $("offline-note").hidden = false;
        });
    }
  }, 60000);
  offlineReady();
  start();
})();
