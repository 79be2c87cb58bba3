"""The reachable-state graph: exports (GraphML, DOT, JSON, HTML, SVG/PNG) and the offline viewer."""
