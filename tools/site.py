"""Build the docs site from the notebooks, offline: `python tools/site.py [DEST]` (default `_site/`); `--readme` writes README.md.

Quarto (what `nbdev_docs` uses) cannot be installed on our machines, so this renders the same notebooks with nbconvert:
pages in the reading order of `nbs/sidebar.yml` (the sidebar `nbdev_docs` uses too), the committed outputs and figures,
and for every exported definition the doc that nbdev's `show_doc` renders (signature, docstring, parameter table), with
its source folded underneath. `#| hide` cells and `#| default_exp` lines are left out, as nbdev's docs leave them out.
"""
import ast, html, importlib, json, re, shutil, sys
from pathlib import Path
import nbformat
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbdev.showdoc import show_doc

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/'nbs'
sys.path.insert(0, str(ROOT))                                          # hyperrep_nb from this checkout

CSS = """
body { margin: 0; padding: 0 !important; }
div.wrap { display: flex; align-items: flex-start; }
nav.side { position: sticky; top: 0; height: 100vh; box-sizing: border-box; flex: 0 0 15rem; overflow-y: auto; padding: 1rem;
           background: #f6f8fa; border-right: 1px solid #ddd; font: 14px/1.5 sans-serif; }
nav.side a { display: block; padding: .15rem .3rem; color: #0b57d0; text-decoration: none; }
nav.side div.sec { margin: .7rem 0 .2rem; font-size: 12px; font-weight: bold; text-transform: uppercase; color: #666; }
nav.side a.here { font-weight: bold; background: #e3e9f2; border-radius: 4px; }
main.page { flex: 1 1 auto; min-width: 0; max-width: 62rem; padding: 1rem 2rem; }
div.api { border-left: 3px solid #0b57d0; padding: .2rem 1rem; margin: 1rem 0; background: #fbfcfe; }
div.api h3 { font-family: monospace; }
details.src summary { cursor: pointer; color: #555; font-size: smaller; }
p.pager { display: flex; justify-content: space-between; margin-top: 3rem; }
main pre { background: #f6f8fa !important; padding: .5rem .8rem !important; border-radius: 4px; overflow-x: auto; font-size: 13px; }
nav.side div.toc a { padding-left: 1.1rem; font-size: 12.5px; color: #444; }
nav.side div.toc a.h3 { padding-left: 2rem; font-size: 12px; font-family: monospace; color: #555; }
nav.side input#q { width: 100%; box-sizing: border-box; margin: .5rem 0; padding: .25rem .4rem; font-size: 13px; }
nav.side div#hits a { font-size: 12.5px; color: #222; border-bottom: 1px solid #e5e5e5; }
"""

SEARCH_JS = """
function hrSearch(q) {
  const out = document.getElementById('hits'); out.innerHTML = '';
  q = q.trim().toLowerCase(); if (q.length < 2) return;
  let n = 0;
  const add = (href, text) => { const a = document.createElement('a'); a.href = href; a.textContent = text; out.appendChild(a); n++; };
  for (const p of (window.SEARCH || [])) {
    for (const [id, h] of p.h) if (n < 15 && h.toLowerCase().includes(q)) add(p.u + '#' + id, p.t + ' > ' + h);
    const i = p.x.toLowerCase().indexOf(q);
    if (n < 15 && i >= 0) add(p.u, p.t + ': ...' + p.x.slice(Math.max(0, i - 40), i + 60) + '...');
  }
  if (!n) out.textContent = 'no match';
}
"""

def sidebar_pages(sidebar=NBS/'sidebar.yml')->list:
    "Every page of nbs/sidebar.yml in order, with the section it sits in: [(file, section or None)]."
    out, sec = [], None
    for line in sidebar.read_text().splitlines():
        if (m := re.match(r'^(\s*)-\s*section:\s*(.+?)\s*$', line)): sec = (len(m.group(1)), m.group(2))
        elif (m := re.match(r'^(\s*)-\s*(\S+\.(?:ipynb|md))\s*$', line)):
            if sec and len(m.group(1)) <= sec[0]: sec = None       # back at the section's own depth: outside it
            out.append((m.group(2), sec and sec[1]))
    return out

def reading_order(sidebar=NBS/'sidebar.yml')->list:
    "The notebooks (file names) in the order of nbs/sidebar.yml."
    return [f for f, _ in sidebar_pages(sidebar)]

def title(nb):
    "A notebook's title: its first markdown heading."
    for c in nb.cells:
        if c.cell_type == 'markdown' and (m := re.search(r'^#\s+(.+)$', c.source, re.M)): return m.group(1).strip()
    return '?'

def directive(src, name):
    "Whether a cell's source carries the nbdev directive `#| name`."
    return re.search(rf'^#\|\s*{name}\b', src, re.M) is not None

def _cell_body(src)->list:
    "A code cell's top-level statements, its IPython magics and shell lines left out."
    return ast.parse(re.sub(r'^\s*[%!].*$', '', src, flags=re.M)).body

def defined_names(src):
    "Public names a code cell defines: functions, classes, `@patch`ed methods (as `Class.method`) and assigned names."
    out = []
    for t in _cell_body(src):
        if isinstance(t, ast.Assign):
            out += [n.id for n in t.targets if isinstance(n, ast.Name) and not n.id.startswith('_')]
            continue
        if not isinstance(t, (ast.FunctionDef, ast.ClassDef)) or t.name.startswith('_'): continue
        patched = [d for d in t.decorator_list if (getattr(d, 'id', None) or getattr(getattr(d, 'func', None), 'id', None)) == 'patch']
        if patched and t.args.args and (a := t.args.args[0].annotation) is not None: out.append(f'{ast.unparse(a)}.{t.name}')
        else: out.append(t.name)
        if isinstance(t, ast.ClassDef):                               # its public methods, each with an entry of its own
            out += [f'{t.name}.{m.name}' for m in t.body if isinstance(m, ast.FunctionDef) and not m.name.startswith('_')
                    and not any(ast.unparse(d).endswith(('property', 'setter')) for d in m.decorator_list)]
    return out

def private_names(src):
    "Private names a code cell defines (functions, classes, assignments): shown as folded source, without an entry."
    out = []
    for t in _cell_body(src):
        if isinstance(t, (ast.FunctionDef, ast.ClassDef)) and t.name.startswith('_'): out.append(t.name)
        elif isinstance(t, ast.Assign): out += [n.id for n in t.targets if isinstance(n, ast.Name) and n.id.startswith('_')]
    return [n for n in out if not n.endswith('_')]                      # not `__doc__` or nbdev's `_all_`

def _short_defaults(sig:str, most:int=40)->str:
    "A signature with `NoneType` dropped and every call written as a default longer than `most` characters cut to `Name(...)`."
    sig = re.sub(r':NoneType=None', '=None', sig)
    out, i = [], 0
    for m in re.finditer(r'=([A-Z]\w*)\(', sig):
        if m.start() < i: continue
        depth, j = 1, m.end()
        while j < len(sig) and depth:
            depth += {'(': 1, ')': -1}.get(sig[j], 0)
            j += 1
        if j - m.start() > most:
            out += [sig[i:m.start()], f'={m.group(1)}(...)']
            i = j
    return ''.join(out) + sig[i:]

def api_doc(mod, name):
    "HTML of `show_doc` for `mod.name`, in a div.api whose heading carries the name as its id."
    obj = mod
    for part in name.split('.'): obj = getattr(obj, part)
    if not callable(obj): return ''                                 # constants are read in the source below
    md = _short_defaults(show_doc(obj, name=name)._repr_markdown_())
    md = re.sub(r'^\[source\]\(.*$', '', md, flags=re.M)       # quarto-only link syntax; the source is folded below instead
    body = markdown2html_mistune(md).replace('<h3>', f'<h3 id="{name}">', 1)   # its anchor: links and search find it
    return f'<div class="api">\n{body}\n</div>'

def doc_notebook(path):
    "The notebook as a reader sees it: hidden cells gone, exported cells replaced by their docs and folded source."
    nb = nbformat.read(path, as_version=4)
    mod = None
    if nb.cells and (m := re.search(r'^#\|\s*default_exp\s+(\S+)', nb.cells[0].source, re.M)):
        mod = importlib.import_module(f'hyperrep_nb.{m.group(1)}')
    cells = []
    for c in nb.cells:
        if c.cell_type == 'code' and (directive(c.source, 'default_exp') or directive(c.source, 'hide')): continue
        if c.cell_type == 'code' and re.search(r'^#\|\s*echo:\s*false', c.source, re.M):   # its output alone, as prose
            md = ''.join(''.join(o.get('data', {}).get('text/markdown', '')) for o in c.get('outputs', []))
            if not md: c.metadata['transient'] = {'remove_source': True}
            cells.append(nbformat.v4.new_markdown_cell(md) if md else c)
            continue
        if c.cell_type == 'code' and directive(c.source, 'export') and mod is not None:
            names, private = defined_names(c.source), private_names(c.source)
            if not names and not private: continue                   # imports: nothing to document
            code = re.sub(r'^#\|.*\n', '', c.source, flags=re.M)
            body = '\n'.join(api_doc(mod, n) for n in names)
            what = 'source' if names else f"source of {', '.join(private)} (internal)"
            body += f'\n<details class="src"><summary>{html.escape(what)}</summary><pre>{html.escape(code)}</pre></details>'
            cells.append(nbformat.v4.new_markdown_cell(body))
            continue
        cells.append(c)
    nb.cells = cells
    return nb

def headings(body)->list:
    "The page's h2 (sections) and h3 (API entries) headings [(level, id, text)], as nbconvert anchors them."
    out = []
    for level, hid, inner in re.findall(r'<h([23]) id="([^"]+)"[^>]*>(.*?)</h\1>', body, re.S):
        text = html.unescape(re.sub(r'<[^>]+>', '', re.sub(r'<a class="anchor-link".*?</a>', '', inner, flags=re.S))).strip()
        if text: out.append((int(level), hid, text))
    return out

def nav(pages, here, toc=(), secs=None):
    "The sidebar: a search box, every page in reading order under its section, the current one with its table of contents."
    def link(p, t):
        a = f'<a href="{p}"{" class=here" if p == here else ""}>{html.escape(t)}</a>'
        if p != here or not toc: return a
        return a + '<div class="toc">' + ''.join(f'<a class="h{lv}" href="#{i}">{html.escape(h)}</a>'
                                                  for i, h, lv in toc) + '</div>'
    box = '<input id="q" type="search" placeholder="search the docs" oninput="hrSearch(this.value)"><div id="hits"></div>'
    items, last = [], None
    for p, t in pages:
        sec = (secs or {}).get(p)
        if sec and sec != last: items.append(f'<div class="sec">{html.escape(sec)}</div>')
        last = sec
        items.append(link(p, t))
    return f'<nav class="side"><b>hyperrep_nb</b>{box}' + ''.join(items) + '</nav>'

def page_text(body)->str:
    "A page's readable text for the search index: no scripts, styles or tags, whitespace collapsed."
    body = re.sub(r'<(script|style)\b.*?</\1>', ' ', body, flags=re.S)
    return re.sub(r'\s+', ' ', html.unescape(re.sub(r'<[^>]+>', ' ', body))).strip()

def pager(pages, i):
    "Previous / next links at the foot of page i."
    prev = f'<a href="{pages[i-1][0]}">&larr; {html.escape(pages[i-1][1])}</a>' if i else '<span></span>'
    nxt = f'<a href="{pages[i+1][0]}">{html.escape(pages[i+1][1])} &rarr;</a>' if i + 1 < len(pages) else '<span></span>'
    return f'<p class="pager">{prev}{nxt}</p>'

DEBIAN_MATHJAX = Path('/usr/share/javascript/mathjax')                 # libjs-mathjax + fonts-mathjax: MathJax 2 with its TeX fonts

def mathjax_dir():
    "MathJax 2's files: Debian's (with its TeX fonts; tools/setup.sh installs them as root), else the jupyter-server-mathjax wheel's, else None."
    if (DEBIAN_MATHJAX/'MathJax.js').exists() and (DEBIAN_MATHJAX/'fonts/HTML-CSS/TeX/woff').is_dir(): return DEBIAN_MATHJAX
    import importlib.util
    spec = importlib.util.find_spec('jupyter_server_mathjax')           # found without importing it (that needs jupyter_server)
    d = spec and Path(list(spec.submodule_search_locations)[0])/'static'
    return d if d and (d/'MathJax.js').exists() else None

MATHJAX = 'mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe'
MATHJAX_FONTS = """<script type="text/x-mathjax-config">
MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null}});
</script>
"""   # the wheel ships MathJax's STIX-Web web fonts, not its TeX ones: use those, and ask for nothing that is not there

def render(nb, mathjax:Path=None):
    "HTML of one notebook (nbconvert's lab template, without prompts); links to notebooks point at their pages."
    kw = dict(mathjax_url=MATHJAX) if mathjax else {}                  # mathjax: `mathjax_dir()`; else nbconvert's CDN link
    ex = HTMLExporter(template_name='lab', exclude_input_prompt=True, exclude_output_prompt=True, **kw)
    body, _ = ex.from_notebook_node(nb)
    body = re.sub(r'<script src="https://cdnjs[^"]*require[^"]*"></script>', '', body)   # require.js: for widgets, which no page has
    if mathjax and mathjax != DEBIAN_MATHJAX:                          # the wheel's copy has STIX-Web fonts only
        body = body.replace(f'<script src="{MATHJAX}">', MATHJAX_FONTS + f'<script src="{MATHJAX}">', 1)
    return re.sub(r'href="([\w.-]+)\.(?:ipynb|md)(#[^"]*)?"', lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', body)

def build(dest=ROOT/'_site'):
    "Write one page per notebook (and .md page) in reading order to dest; returns the page file names."
    dest = Path(dest)
    if dest.exists(): shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for d in ('images', 'runs'):                                        # figures, and the reference runs' reports
        if (NBS/d).exists(): shutil.copytree(NBS/d, dest/d)
    if (mj := mathjax_dir()):                                          # the formulas render offline, in the fonts MathJax asks for
        skip = ('unpacked', 'test', 'SVG', 'NativeMML', 'Asana-Math', 'Gyre-Pagella', 'Gyre-Termes', 'Latin-Modern', 'Neo-Euler', 'STIX')
        shutil.copytree(mj, dest/'mathjax', ignore=shutil.ignore_patterns(*skip))
    nbs = []
    for f in reading_order():
        p = NBS/f
        if p.suffix == '.md': nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(p.read_text())])
        else: nb = doc_notebook(p)
        nbs.append((f'{p.stem}.html', title(nb), nb))
    pages, index = [(f, t) for f, t, _ in nbs], []
    secs = {f'{Path(f).stem}.html': sec for f, sec in sidebar_pages() if sec}
    for i, (f, t, nb) in enumerate(nbs):
        page = render(nb, mj)
        body = page[page.find('<body'):]
        hs = headings(body)
        toc = [(i, h, level) for level, i, h in hs]                     # sections (h2) and their entries (h3)
        index.append(dict(u=f, t=t, h=[(i, h) for _, i, h in hs], x=page_text(body)))
        page = page.replace('<title>Notebook</title>', f'<title>{html.escape(t)} - hyperrep_nb</title>')
        page = page.replace('</head>', f'<style>{CSS}</style><script src="search.js"></script><script>{SEARCH_JS}</script></head>', 1)
        page = re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + '<div class="wrap">' + nav(pages, f, toc, secs) + '<main class="page">', page, count=1)
        page = page.replace('</body>', pager(pages, i) + '</main></div></body>', 1)
        (dest/f).write_text(page)
    (dest/'search.js').write_text('window.SEARCH = ' + json.dumps(index) + ';\n')   # a script, not JSON: works from file:// too
    return [f for f, _ in pages]

def readme(index=NBS/'index.ipynb')->str:
    "README.md's text: the index notebook as markdown, with links and images pointing into nbs/."
    from nbconvert import MarkdownExporter
    md, _ = MarkdownExporter(exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(doc_notebook(index))
    md = re.sub(r'\]\((?!https?:|#)([^)\s]+)\)', lambda m: f'](nbs/{m.group(1)})', md)   # relative to nbs/, README sits one up
    head = '<!-- Written by tools/docs.sh from nbs/index.ipynb: edit that notebook, not this file. -->\n\n'
    return head + re.sub(r'\n{3,}', '\n\n', md).strip() + '\n'

if __name__ == '__main__':
    if sys.argv[1:] == ['--readme']:
        (ROOT/'README.md').write_text(readme()); print('README.md written from nbs/index.ipynb')
    else:
        out = build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT/'_site')
        print(f'site: {len(out)} pages in {sys.argv[1] if len(sys.argv) > 1 else "_site"}/: {" ".join(out)}')
