// Starts Swagger UI on the Worker's own OpenAPI document (see src/http/docs.ts).
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
