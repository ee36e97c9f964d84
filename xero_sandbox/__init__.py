"""The local Xero: identity, /connections and the Accounting API in one Starlette app.

Entry points: `app.create_app(SandboxConfig)`, `server.serve_in_thread`, `server.sandbox_transport`,
`cli.main` (`python -m xeroflow_core sandbox`). See README.md in this folder.
"""
