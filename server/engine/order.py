"""The evaluation order, kept up to date edit by edit instead of re-sorted.

The order is canonical: nodes by *level* (the longest path from an input, 0 for a
node with no incoming edge), then by place in the document. It is a topological
order (an edge raises its target's level above its source's), and, being a function
of the graph and its document order only, an order kept up to date edit by edit is
the same list as one built from scratch. That matters beyond tidiness: a node's
gradient is a sum of its consumers' terms in plan order, and float addition is not
associative, so two different valid orders could differ in the last bit.

An edit moves only the nodes whose level changes (the target of a new or removed
edge and, as far as it goes, what lies downstream), each by a binary search and a
list insert; past ``RESORT`` of them, one sort of the whole list is cheaper.
"""
from __future__ import annotations

from bisect import bisect_left, insort

import networkx as nx

RESORT = 64  # moved nodes beyond which a full sort (C speed) beats one insert each


class Order:
    def __init__(self, g: nx.MultiDiGraph):
        """From scratch; raises ``nx.NetworkXUnfeasible`` on a cycle."""
        self.g = g
        self.level: dict[str, int] = {}
        for k, generation in enumerate(nx.topological_generations(g)):
            for n in generation:
                self.level[n] = k
        self.place = {n: i for i, n in enumerate(g)}  # document order; gaps after removals are harmless
        self._next_place = len(self.place)
        self.nodes = sorted(g, key=self.key)

    def key(self, n):
        return self.level[n], self.place[n]

    # -- edits ------------------------------------------------------------------
    def node_added(self, n):
        """A node at the end of the document, no edges yet: level 0, after every level-0 node."""
        self.level[n] = 0
        self.place[n] = self._next_place
        self._next_place += 1
        insort(self.nodes, n, key=self.key)

    def node_removed(self, n):
        """After its edges are gone (each ``edge_removed``), so no other node's level depends on it."""
        del self.nodes[self._at(n)]
        del self.level[n], self.place[n]

    def edge_added(self, source, target):
        """Levels only rise, from ``target`` downstream, and only as far as they do."""
        succ = self.g.succ
        new: dict[str, int] = {}
        want = self.level[source] + 1
        if want <= self.level[target]:
            return
        new[target] = want
        stack = [target]
        while stack:
            n = stack.pop()
            up = new[n] + 1
            for c in succ[n]:
                if up > new.get(c, self.level[c]):
                    new[c] = up
                    stack.append(c)
        self._move(new)

    def edge_removed(self, target):
        """The target's level may fall, and then its consumers'; each is recomputed from its sources."""
        pred, succ, level = self.g.pred, self.g.succ, self.level
        new: dict[str, int] = {}
        queue = [target]
        while queue:
            n = queue.pop()
            d = max((new.get(p, level[p]) + 1 for p in pred[n]), default=0)
            if d != new.get(n, level[n]):
                new[n] = d
                queue.extend(succ[n])
        self._move({n: d for n, d in new.items() if d != level[n]})

    # -- moving -----------------------------------------------------------------
    def _at(self, n) -> int:
        i = bisect_left(self.nodes, self.key(n), key=self.key)
        assert self.nodes[i] == n
        return i

    def _move(self, new: dict[str, int]):
        if not new:
            return
        if len(new) > RESORT:
            self.level.update(new)
            self.nodes.sort(key=self.key)
            return
        nodes = self.nodes
        for n in new:
            del nodes[self._at(n)]
        self.level.update(new)
        for n in new:
            insort(nodes, n, key=self.key)
