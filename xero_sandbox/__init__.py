"""A local Xero: identity, /connections and the Accounting API in one Starlette app, so a project
can test against Xero's shapes, limits and faults without a network or a Xero account.

Entry points: `app.create_app(SandboxConfig)`, `server.serve_in_thread`, `server.sandbox_transport`,
`testing.sandbox_config`, and `python -m xero_sandbox`. See README.md in this folder.
"""
