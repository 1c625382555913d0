"""Drop duplicate <script> entries from every HTML page.

With Jupyter Book 1.0.4 (Sphinx 7.4, sphinx-thebe 0.3.1) every page gets the
inline script `const THEBE_JS_URL = ...` twice, and the browser raises
"Identifier 'THEBE_JS_URL' has already been declared" on every page load
(tests/browser/check_html.py reports uncaught JavaScript errors). This keeps
the first of any scripts with the same file name and attributes (the
duplicate inline scripts differ only in filename None versus "").
"""


def _dedup_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for js in scripts:
        key = (
            # inline scripts come as filename None or "" depending on who added them
            str(getattr(js, "filename", js) or ""),
            tuple(sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(js)
    # In place: ctx["script_files"] is the builder's own list, to which later
    # handlers (e.g. sphinx.ext.mathjax on pages with math) still append.
    scripts[:] = unique


def setup(app):
    # Run early: html-page-context is emitted with emit_firstresult, so a
    # handler that returns a template name stops later ones. The duplicates
    # are already in the builder's list before any handler runs.
    app.connect("html-page-context", _dedup_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
