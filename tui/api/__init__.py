"""The Responses API wire layer: typed models, SSE decoding, errors, endpoints and the HTTP client."""
