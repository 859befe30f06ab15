package transform

// lookup finds the values of many paths in one walk over an envelope: the
// paths form a tree, so a member several paths go through is read once.
type lookup struct {
	root  *node
	slots int // how many distinct paths; find fills one value per slot
}

// node is a point in the envelope that at least one path reaches.
type node struct {
	key      string // member name, when index < 0
	index    int    // array element, or -1 for an object member
	slot     int    // where the value found here goes; -1 if no path ends here
	subtree  []int  // every slot at or below this node, to forget on a repeated member
	children []*node
	members  bool // some child is an object member
	elements bool // some child is an array element
}

func newLookup() *lookup { return &lookup{root: &node{index: -1, slot: -1}} }

// add makes a path findable and returns its slot; equal paths share a slot.
func (l *lookup) add(steps []step) int {
	visited := []*node{l.root}
	n := l.root
	for _, s := range steps {
		child := n.child(s)
		if child == nil {
			child = &node{key: s.key, index: s.index, slot: -1}
			n.children = append(n.children, child)
			n.members = n.members || s.index < 0
			n.elements = n.elements || s.index >= 0
		}
		n = child
		visited = append(visited, n)
	}
	if n.slot < 0 {
		n.slot = l.slots
		l.slots++
		for _, v := range visited {
			v.subtree = append(v.subtree, n.slot)
		}
	}
	return n.slot
}

func (n *node) child(s step) *node {
	for _, c := range n.children {
		if c.index == s.index && c.key == s.key {
			return c
		}
	}
	return nil
}

// member returns the child for an object member name (unescaped), or nil.
func (n *node) member(name []byte) *node {
	for _, c := range n.children {
		if c.index < 0 && c.key == string(name) {
			return c
		}
	}
	return nil
}

func (n *node) element(i int) *node {
	for _, c := range n.children {
		if c.index == i {
			return c
		}
	}
	return nil
}

// mustLookup builds a lookup whose slots follow the order of paths, which
// must be valid and distinct.
func mustLookup(paths ...string) *lookup {
	l := newLookup()
	for i, p := range paths {
		steps, err := parsePath(p)
		if err != nil || l.add(steps) != i {
			panic("transform: bad built-in path " + p)
		}
	}
	return l
}
