import { useRoute, href } from './router.js';
import { SearchPage } from './pages/SearchPage.js';
import { ObservationPage } from './pages/ObservationPage.js';
import { DownloadsPage } from './pages/DownloadsPage.js';
import { LibraryPage } from './pages/LibraryPage.js';
import { ViewerPage } from './pages/ViewerPage.js';
import { CompositePage } from './pages/CompositePage.js';
import { MosaicPage } from './pages/MosaicPage.js';
import { SignIn, useMe } from './components/SignIn.js';
import { installAuth } from './api/client.js';

// Every engine request carries the signed-in token (installed before the first request).
installAuth();

const NAV: Array<[string, string]> = [
  ['search', 'Search'],
  ['downloads', 'Downloads'],
  ['library', 'Library'],
  ['viewer', 'Viewer'],
  ['composite', 'Composite'],
  ['mosaic', 'Mosaic'],
];

export function App() {
  const route = useRoute();
  const me = useMe();
  const page = (() => {
    switch (route.page) {
      case 'observation':
        return <ObservationPage obsId={route.params.get('obs_id') ?? ''} />;
      case 'downloads':
        return <DownloadsPage />;
      case 'library':
        return <LibraryPage me={me} />;
      case 'viewer':
        return <ViewerPage route={route} />;
      case 'composite':
        // a new recipe link is a new composite
        return <CompositePage key={route.params.get('channels') ?? ''} params={route.params} />;
      case 'mosaic':
        return <MosaicPage />;
      default:
        return <SearchPage me={me} />;
    }
  })();
  const active = route.page === 'observation' ? 'search' : route.page;
  return (
    <>
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <span className="brand" aria-label="JWST Workbench">JWST&nbsp;Workbench</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([id, label]) => (
              <li key={id}>
                <a href={href(id)} aria-current={active === id ? 'page' : undefined}>{label}</a>
              </li>
            ))}
          </ul>
        </nav>
        <SignIn me={me} />
      </header>
      <main id="main" tabIndex={-1}>{page}</main>
    </>
  );
}
