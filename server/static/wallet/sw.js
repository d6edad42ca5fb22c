/* The wallet's service worker: after one visit with internet the ticket page opens offline.

   Pages and scripts under /wallet/ are fetched from the network first (so a fixed script
   reaches phones at their next visit) and from the cache when there is no network. The
   ticket's facts and the phone's key live in the page's own storage, not here. */
"use strict";

var CACHE = "gatehouse-wallet-v1";
var FILES = [
  "/wallet/app/wallet.css",
  "/wallet/app/wallet.js",
  "/wallet/app/words.js",
  "/wallet/app/gr1.js",
  "/wallet/app/qrcode.js",
];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll(FILES);
    })
  );
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!url.pathname.startsWith("/wallet/")) return; // the API: the page handles no network
  event.respondWith(
    fetch(request)
      .then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) {
            cache.put(request, copy);
          });
        }
        return response;
      })
      .catch(function () {
        return caches.match(request, { ignoreSearch: true }).then(function (hit) {
          return hit || Response.error();
        });
      })
  );
});
