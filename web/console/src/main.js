// odmd console entry point (work in progress: the graph view follows).
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';

cytoscape.use(dagre);
const cy = cytoscape({ container: document.getElementById('graph'), elements: [] });
window.odmd = { cy, ready: Promise.resolve() };
