import type { Context } from "hono";

/**
 * `/docs`: Swagger UI over `/openapi.json`, with every asset served by this Worker (Workers
 * Static Assets under /docs/, copied from swagger-ui-dist by scripts/vendor-assets.mjs), so
 * it works without internet. The page itself is a fixed string: nothing from the request.
 */
const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>`;

/** Answers the Swagger UI page. */
export const docsPage = (c: Context) => c.html(DOCS_HTML);
