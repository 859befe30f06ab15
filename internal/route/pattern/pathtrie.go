package pattern

import "slices"

// pathNode is one field path of the Matcher's index: a trie of field names
// mirroring the events' shape. Walking an event follows only the fields some
// pattern anchors on, so the rest of the event costs nothing.
type pathNode struct {
	children map[string]*pathNode
	edges    []pathEdge // the children again, as a slice: quicker to range over
	values   valueIndex // anchors on the leaf values at this path
}

type pathEdge struct {
	name string
	node *pathNode
}

func (n *pathNode) lookup(path []string) *pathNode {
	for _, name := range path {
		if n = n.children[name]; n == nil {
			return nil
		}
	}
	return n
}

func (n *pathNode) ensure(path []string) *pathNode {
	for _, name := range path {
		child := n.children[name]
		if child == nil {
			child = &pathNode{}
			if n.children == nil {
				n.children = make(map[string]*pathNode)
			}
			n.children[name] = child
			n.edges = append(n.edges, pathEdge{name: name, node: child})
		}
		n = child
	}
	return n
}

// unregister removes one anchor and prunes the nodes it leaves empty.
func (n *pathNode) unregister(path []string, key indexKey, slot int32) {
	if len(path) == 0 {
		n.values.remove(key, slot)
		return
	}
	child := n.children[path[0]]
	if child == nil {
		return
	}
	child.unregister(path[1:], key, slot)
	if child.values.size == 0 && len(child.children) == 0 {
		delete(n.children, path[0])
		n.edges = slices.DeleteFunc(n.edges, func(e pathEdge) bool { return e.node == child })
	}
}

// walkObject visits the fields of an event object that the index knows,
// ranging over whichever of the two is smaller.
func (n *pathNode) walkObject(obj map[string]any, sc *scratch) {
	if len(obj) < len(n.edges) {
		for name, v := range obj {
			if child := n.children[name]; child != nil {
				child.walk(v, sc)
			}
		}
		return
	}
	for _, e := range n.edges {
		if v, ok := obj[e.name]; ok {
			e.node.walk(v, sc)
		}
	}
}

// walk visits an event value at this path: objects descend, arrays are
// flattened (EventBridge matches any element), and leaves probe the index.
func (n *pathNode) walk(v any, sc *scratch) {
	switch t := v.(type) {
	case map[string]any:
		if len(n.edges) > 0 {
			n.walkObject(t, sc)
		}
	case []any:
		for _, e := range t {
			n.walk(e, sc)
		}
	default:
		if n.values.size > 0 {
			if s, ok := toScalar(v); ok {
				n.values.probe(s, sc)
			}
		}
	}
}
