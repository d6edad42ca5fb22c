/* The rotating code a ticket holder's phone shows (issue 18; docs/protocol.md "GR1").

   Text: "GR1:" + base45(payload), payload = uvarint(event) + ticket id (8 bytes, big-endian)
   + time step (4 bytes, big-endian) + Ed25519 signature (64 bytes) by the phone's key over
   "GR1:" + every byte before it. The same bytes as core/rotating.py makes. */
"use strict";

var GR1 = (function () {
  var STEP_SECONDS = 15;
  var ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  var PREFIX = "GR1:";

  function base45(bytes) {
    var out = "";
    for (var i = 0; i + 1 < bytes.length; i += 2) {
      var n = bytes[i] * 256 + bytes[i + 1];
      var c = n % 45;
      n = (n - c) / 45;
      var d = n % 45;
      var e = (n - d) / 45;
      out += ALPHABET[c] + ALPHABET[d] + ALPHABET[e];
    }
    if (bytes.length % 2) {
      var last = bytes[bytes.length - 1];
      out += ALPHABET[last % 45] + ALPHABET[Math.floor(last / 45)];
    }
    return out;
  }

  function uvarint(n) {
    var out = [];
    for (;;) {
      var b = n % 128;
      n = Math.floor(n / 128);
      if (n) {
        out.push(b | 0x80);
      } else {
        out.push(b);
        return out;
      }
    }
  }

  /* The signed part: event, ticket (a decimal string: 63-bit ids do not fit a JS number), step. */
  function body(eventId, ticketId, step) {
    var bytes = uvarint(eventId);
    var t = BigInt(ticketId);
    for (var i = 7; i >= 0; i--) {
      bytes.push(Number((t >> BigInt(i * 8)) & 0xffn));
    }
    bytes.push((step >>> 24) & 0xff, (step >>> 16) & 0xff, (step >>> 8) & 0xff, step & 0xff);
    return new Uint8Array(bytes);
  }

  function stepAt(unixSeconds) {
    return Math.floor(unixSeconds / STEP_SECONDS);
  }

  async function code(privateKey, eventId, ticketId, step) {
    var signed = body(eventId, ticketId, step);
    var message = new Uint8Array(PREFIX.length + signed.length);
    for (var i = 0; i < PREFIX.length; i++) message[i] = PREFIX.charCodeAt(i);
    message.set(signed, PREFIX.length);
    var sig = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, message));
    var payload = new Uint8Array(signed.length + sig.length);
    payload.set(signed, 0);
    payload.set(sig, signed.length);
    return PREFIX + base45(payload);
  }

  return { STEP_SECONDS: STEP_SECONDS, base45: base45, body: body, stepAt: stepAt, code: code };
})();
