"""The docs site, built from this checkout and checked in a real headless browser (Debian's chromium, driven by playwright).

Every page in the reading order must load, show every figure its notebook has (image outputs and markdown images),
link only to pages and anchors that exist, and, for a notebook that exports a module, carry a rendered API doc with a
signature for every public function and class of that module. README.md must be what tools/docs.sh writes from
nbs/index.ipynb (the numbers in the prose are checked in test_prose.py). Set DOCS_SHOTS=folder to keep screenshots.
"""
import functools, http.server, importlib, inspect, json, os, re, subprocess, sys, threading
from pathlib import Path
from urllib.parse import urljoin, urlparse
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path('/usr/bin/chromium')
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync']

def _site_module():
    spec = importlib.util.spec_from_file_location('docsite', ROOT/'tools/site.py')
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m

def test_readme_is_written_from_index():
    assert (ROOT/'README.md').read_text() == _site_module().readme(), 'README.md is stale: run `bash tools/docs.sh` and commit'

def _expected_figures(nb_path:Path)->int:
    "Images a page must show: image outputs of code cells plus images in markdown cells."
    if nb_path.suffix == '.md': return len(re.findall(r'!\[[^\]]*\]\(', nb_path.read_text()))
    nb = json.loads(nb_path.read_text())
    n = 0
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown': n += len(re.findall(r'!\[[^\]]*\]\(', src))
        elif not re.search(r'^#\|\s*hide', src, re.M):
            n += sum(any(k.startswith('image/') for k in o.get('data', {})) for o in c.get('outputs', []))
    return n

def _has_math(nb_path:Path)->bool:
    "Whether a page's markdown has a TeX formula ($...$) for MathJax to typeset."
    txt = nb_path.read_text() if nb_path.suffix == '.md' else ''.join(''.join(c['source']) for c in json.loads(nb_path.read_text())['cells'] if c['cell_type'] == 'markdown')
    txt = re.sub(r'`[^`]*`', '', re.sub(r'```.*?```', '', txt, flags=re.S))     # shell variables in code are not math
    return re.search(r'\$[^$\n]+\$', txt) is not None

def _public_api(nb_path:Path)->list:
    "Functions and classes in the module a notebook exports (its __all__), which its page must document."
    if nb_path.suffix != '.ipynb': return []
    first = ''.join(json.loads(nb_path.read_text())['cells'][0]['source'])
    m = re.search(r'^#\|\s*default_exp\s+(\S+)', first, re.M)
    if not m or m.group(1) == '__init__': return []
    mod = importlib.import_module(f'hyperrep_nb.{m.group(1)}')
    return [n for n in mod.__all__ if inspect.isfunction(getattr(mod, n)) or inspect.isclass(getattr(mod, n))]

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    "The site built into a temporary folder, served on localhost."
    out = tmp_path_factory.mktemp('site')
    r = subprocess.run([sys.executable, str(ROOT/'tools/site.py'), str(out)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, f'site build failed:\n{r.stderr[-3000:]}'
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    handler = functools.partial(Quiet, directory=str(out))
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield out, f'http://127.0.0.1:{srv.server_address[1]}/'
    srv.shutdown()

@pytest.mark.skipif(not CHROMIUM.exists(), reason='no /usr/bin/chromium (tools/setup.sh installs it when run as root)')
@pytest.mark.slow
def test_site_in_a_browser(site):
    from playwright.sync_api import sync_playwright
    out, base = site
    order = _site_module().reading_order()
    pages = [f'{Path(f).stem}.html' for f in order]
    assert pages[0] == 'index.html', 'the reading order starts at the index'
    want_secs = list(dict.fromkeys(sec for _, sec in _site_module().sidebar_pages() if sec))
    assert want_secs == ['Tutorial', 'Reference'], want_secs
    shots = os.environ.get('DOCS_SHOTS')
    problems, ids, anchors = [], {}, []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={'width': 1300, 'height': 1500})
        failed = []                                                                # every request of every page: 404s included
        page.on('response', lambda r: failed.append(f'{r.url} HTTP {r.status}') if r.status >= 400 else None)
        page.on('requestfailed', lambda r: failed.append(f'{r.url} {r.failure}'))
        for f, pg in zip(order, pages):
            resp = page.goto(base + pg, wait_until='load')
            if resp is None or resp.status != 200: problems.append(f'{pg}: HTTP {resp and resp.status}'); continue
            page.wait_for_load_state('networkidle')
            if failed: problems.append(f'{pg}: requests that failed: {failed[:5]}'); failed.clear()
            bare = page.eval_on_selector_all('main pre', 'es => es.filter(e => ["rgba(0, 0, 0, 0)", "transparent"].includes('
                                             'getComputedStyle(e).backgroundColor)).length')
            if bare: problems.append(f'{pg}: {bare} code blocks without a style')
            secs = page.eval_on_selector_all('nav div.sec', 'es => es.map(e => e.textContent)')
            if secs != want_secs: problems.append(f'{pg}: sidebar sections {secs}, nbs/sidebar.yml has {want_secs}')
            heads = page.eval_on_selector_all('main h2[id], main h3[id]', 'es => es.length')
            toc = page.eval_on_selector_all('nav div.toc a', 'es => es.length')
            if heads and toc != heads: problems.append(f'{pg}: {heads} sections and entries but {toc} in its table of contents')
            imgs = page.eval_on_selector_all('main img', 'es => es.map(e => [e.getAttribute("src").slice(0, 40), e.complete && e.naturalWidth > 0])')
            broken = [s for s, ok in imgs if not ok]
            want = _expected_figures(ROOT/'nbs'/f)
            if broken: problems.append(f'{pg}: figures that do not load: {broken}')
            if len(imgs) < want: problems.append(f'{pg}: {len(imgs)} figures shown, the notebook has {want}')
            if _has_math(ROOT/'nbs'/f):
                try: page.wait_for_selector('.MathJax, .MathJax_Display, .MathJax_CHTML, mjx-container', timeout=20000)
                except Exception: problems.append(f'{pg}: its formulas were not typeset (MathJax did not run)')
            ids[pg] = set(page.eval_on_selector_all('[id]', 'es => es.map(e => e.id)'))
            api = dict(page.eval_on_selector_all('div.api', 'es => es.map(e => [(e.querySelector("h3") || {}).id, '
                                                 '(e.querySelector("pre") || {}).innerText || ""])'))
            nonetype = [n for n, sig in api.items() if 'NoneType' in sig]
            if nonetype: problems.append(f'{pg}: signatures that print NoneType: {nonetype}')
            empty = [n for n, sig in api.items() if not sig.strip()]
            missing = [n for n in _public_api(ROOT/'nbs'/f) if n not in api]
            if empty: problems.append(f'{pg}: API docs without a signature: {empty}')
            if missing: problems.append(f'{pg}: public names without an API doc: {missing}')
            for href in page.eval_on_selector_all('main a[href], nav a[href]', 'es => es.map(e => e.getAttribute("href"))'):
                u = urlparse(urljoin(base + pg, href))
                if u.netloc != urlparse(base).netloc: continue                     # links out of the site are not checked (offline)
                target = u.path.lstrip('/') or 'index.html'
                if not (out/target).exists(): problems.append(f'{pg}: broken link {href}')
                elif u.fragment: anchors.append((target, u.fragment, pg, href))
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f'{shots}/{Path(pg).stem}.png', full_page=False)
                if pg == '02_autoencoder.html':
                    page.locator('h3#HyperAE').scroll_into_view_if_needed()
                    page.screenshot(path=f'{shots}/02_autoencoder_api.png')
                if pg == '00_zoo.html':
                    page.locator('[id="Zoo.load"]').scroll_into_view_if_needed()
                    page.screenshot(path=f'{shots}/00_zoo_method.png')
                if pg == '04_kde_sampling.html':
                    page.locator('main img').last.scroll_into_view_if_needed()
                    page.screenshot(path=f'{shots}/04_kde_sampling_figure.png')
                if pg == 'index.html':
                    page.locator('main img[alt*="quick reference run"]').first.scroll_into_view_if_needed()
                    page.screenshot(path=f'{shots}/index_quick_figure.png')
                    page.get_by_text('A Python quick start').scroll_into_view_if_needed()
                    page.screenshot(path=f'{shots}/index_quick_start.png')
                if pg == '03_lwln.html':
                    page.locator('main img').last.scroll_into_view_if_needed()
                    page.screenshot(path=f'{shots}/03_lwln_figure.png')
        page.goto(base + 'index.html', wait_until='load')                       # the search box finds a phrase of another page
        page.fill('#q', 'noise front')
        page.wait_for_selector('#hits a', timeout=5000)
        if shots: page.screenshot(path=f'{shots}/search.png')
        hits = page.eval_on_selector_all('#hits a', 'es => es.map(e => e.getAttribute("href"))')
        if not any(h.startswith('04_kde_sampling.html') for h in hits): problems.append(f'search "noise front" misses 04_kde_sampling: {hits}')
        for h in hits:
            if not (out/h.split('#')[0]).exists(): problems.append(f'search hit {h} is not a page')
        page.fill('#q', 'Zoo.load')                                             # a method, by its dotted name
        page.wait_for_selector('#hits a', timeout=5000)
        if shots: page.screenshot(path=f'{shots}/search_zoo_load.png')
        hits = page.eval_on_selector_all('#hits a', 'es => es.map(e => e.getAttribute("href"))')
        if '00_zoo.html#Zoo.load' not in hits: problems.append(f'search "Zoo.load" misses its entry: {hits}')
        page.fill('#q', 'zzqqxx')
        if page.inner_text('#hits').strip() != 'no match': problems.append('a search without hits does not say so')
        browser.close()
    for target, frag, pg, href in anchors:
        if frag not in ids.get(target, set()): problems.append(f'{pg}: link {href} names an anchor that {target} lacks')
    assert not problems, '\n'.join(problems)
    assert set(ids) == set(pages), 'every page was visited'

