// The order the keyboard walks the nodes in: topological, as the forward steps go. Only the
// graph's structure (its edges) is read; ties keep the model's order (the server's document order).

/** The node ids in topological order; ties (and anything on a cycle) in the model's own order. */
export function nodeOrder(model) {
  const ids = [...model.nodes.keys()];
  const place = new Map(ids.map((id, i) => [id, i]));
  const indegree = new Map(ids.map((id) => [id, 0]));
  const out = new Map(ids.map((id) => [id, []]));
  for (const e of model.edges) {
    if (!place.has(e.source) || !place.has(e.target)) continue;
    indegree.set(e.target, indegree.get(e.target) + 1);
    out.get(e.source).push(e.target);
  }
  const ready = ids.filter((id) => indegree.get(id) === 0);
  const order = [];
  while (ready.length) {
    ready.sort((a, b) => place.get(a) - place.get(b));
    const id = ready.shift();
    order.push(id);
    for (const t of out.get(id)) {
      indegree.set(t, indegree.get(t) - 1);
      if (indegree.get(t) === 0) ready.push(t);
    }
  }
  if (order.length < ids.length) order.push(...ids.filter((id) => !order.includes(id)));
  return order;
}
