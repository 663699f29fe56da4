// Starts Swagger UI (swagger-ui-dist, served from our origin) on the agent API's OpenAPI
// document. A file, not inline, because the CSP allows no inline script.
(function () {
  'use strict';
  var root = document.getElementById('swagger-ui');
  if (!root || typeof window.SwaggerUIBundle !== 'function') return;
  // Swagger UI's server picker has no accessible name; give it one whenever it is (re)drawn.
  new MutationObserver(function () {
    var servers = root.querySelector('select#servers:not([aria-label])');
    if (servers) servers.setAttribute('aria-label', 'Server');
  }).observe(root, { childList: true, subtree: true });
  window.SwaggerUIBundle({
    url: root.getAttribute('data-spec-url'),
    domNode: root,
    // Without deep links the operation headers hold no links inside their toggle buttons
    // (nested interactive controls confuse screen readers).
    deepLinking: false,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    // No calls to validator.swagger.io: the page talks only to its own origin.
    validatorUrl: null,
    tryItOutEnabled: false,
  });
})();
