"""Agents over MCP (Model Context Protocol): collab's documents as tools, over stdio (`collab
mcp`, through a running server's REST API) or streamable HTTP (/mcp on the server itself)."""
