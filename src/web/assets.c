/*
 * NAME
 *	assets - the console's one style sheet, compiled in
 * SUMMARY
 *	GET /static/style.css
 * SYNOPSIS
 *	void assets_css(struct web_req *r);
 * DESCRIPTION
 *	The pages load nothing from elsewhere and run no script: one small
 *	CSS file, served from this string.
 * DIAGNOSTICS
 *	none.
 * LIMITS
 *	none.
 */
#include "web_int.h"

#include <string.h>

static const char style_css[] =
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:15px/1.45 system-ui,sans-serif;color:#1d2330;background:#f5f6f8}\n"
    "header{display:flex;flex-wrap:wrap;gap:1em;align-items:center;padding:.5em 1em;"
    "background:#1d2330;color:#fff}\n"
    "header a{color:#cfe0ff;text-decoration:none;margin-right:1em}\n"
    "header form{display:inline;margin:0}\n"
    ".brand{font-weight:700;margin-right:1em}.who{margin-left:auto;opacity:.8}\n"
    "main{max-width:1200px;margin:0 auto;padding:1em}\n"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}\n"
    "table{border-collapse:collapse;width:100%;background:#fff;margin:.5em 0}\n"
    "th,td{text-align:left;padding:.3em .5em;border-bottom:1px solid #e1e4ea;"
    "vertical-align:top}\n"
    "th{background:#eef0f4}\n"
    "pre,code{font:13px/1.4 ui-monospace,monospace}\n"
    "pre{background:#fff;border:1px solid #e1e4ea;padding:.5em;overflow-x:auto;"
    "white-space:pre-wrap;word-break:break-all}\n"
    ".hl{background:#ffe58a}\nmark.hl{display:block;color:inherit}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:1em}\n"
    ".card{background:#fff;border:1px solid #e1e4ea;padding:.7em 1em;min-width:12em}\n"
    ".card b{display:block;font-size:1.6em}\n"
    ".path{display:flex;flex-wrap:wrap;align-items:center;gap:.4em}\n"
    ".hop{background:#fff;border:2px solid #5b7bd5;border-radius:4px;padding:.4em .7em}\n"
    ".arrow{color:#5b7bd5;font-weight:700}\n"
    ".state{padding:0 .4em;border-radius:3px;background:#e1e4ea}\n"
    ".open,.confirmed,.blocked{background:#f8c9c4}.repaired,.closed{background:#cdeccd}\n"
    "form.act{background:#fff;border:1px solid #e1e4ea;padding:.6em;margin:.5em 0}\n"
    "input,textarea,button{font:inherit}\n"
    "button{background:#2c55c9;color:#fff;border:0;padding:.3em .9em;border-radius:3px}\n"
    ".msg{background:#fff7d6;border:1px solid #e6cf6f;padding:.5em}\n"
    "svg text{font:11px sans-serif;fill:#1d2330}\n";

void assets_css(struct web_req *r)
{
	web_reply_text(r, HTTP_OK, "text/css; charset=utf-8", style_css, sizeof(style_css) - 1);
}
