// Start Swagger UI on the document named in the page's JSON config block.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("erlen-docs-config").textContent);
  window.ui = SwaggerUIBundle({
    url: config.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
