import { createRoot } from 'react-dom/client';
import 'diff2html/bundles/css/diff2html.min.css';
import './styles.css';
import { App } from './app';

createRoot(document.getElementById('root')!).render(<App />);
