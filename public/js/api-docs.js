// Starts Swagger UI (swagger-ui-dist, served from our origin) on the agent API's OpenAPI
// document. A file, not inline, because the CSP allows no inline script.
(function () {
  'use strict';
  var root = document.getElementById('swagger-ui');
  if (!root || typeof window.SwaggerUIBundle !== 'function') return;
  window.SwaggerUIBundle({
    url: root.getAttribute('data-spec-url'),
    domNode: root,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    // No calls to validator.swagger.io: the page talks only to its own origin.
    validatorUrl: null,
    tryItOutEnabled: false,
  });
})();
