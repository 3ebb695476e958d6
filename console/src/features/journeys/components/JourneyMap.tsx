// The journey map drawn with @xyflow/react. This module (and the library)
// loads only on the journey page: it is imported lazily from there.
import { memo, useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import {
  Background,
  Controls,
  Handle,
  Position,
  ReactFlow,
  useStore,
  useUpdateNodeInternals,
  type Edge,
  type Node,
  type NodeChange,
  type NodeProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import './JourneyMap.css';
import type { Journey, JourneyStepSummary } from '@/types/api';
import { TRIGGER, buildGraph, describeStep, edgeCounts, layout, mapHeight } from './graph';

export interface JourneyMapProps {
  journey: Journey | null;
  counts: Map<string, JourneyStepSummary>;
  problems: Map<string, string[]>;
  visited?: { steps: Set<string>; edges: Set<string> };
  /** The API's own edge counts, when it has them, and the version shown (null: all). */
  edgeCounted?: { version: number; from: string; to: string; n: number }[];
  version?: number | null;
  /** Where a step's drill-down (the contacts at it) is; clicking the step goes there. */
  stepHref?: (step: string) => string;
}

type StepData = {
  title: string;
  kind: string;
  what: string;
  counts?: JourneyStepSummary;
  problems: string[];
  visited: boolean;
  href?: string;
};

const StepNode = memo(function StepNode({ data }: NodeProps<Node<StepData>>) {
  const c = data.counts;
  return (
    <div
      className={`jmap-node jmap-${data.kind}${data.problems.length ? ' jmap-problem' : ''}${data.visited ? ' jmap-visited' : ''}`}
      data-testid={`node-${data.title}`}
      data-visited={data.visited ? 'true' : undefined}
    >
      <Handle type="target" position={Position.Top} />
      <div className="jmap-title">
        <strong>{data.title}</strong> <span className="badge">{data.kind}</span>
      </div>
      <div className="jmap-what small">{data.what}</div>
      {c && (
        <div className="jmap-counts small" aria-label={`Counts for ${data.title}`}>
          {c.entered} in · {c.waiting} waiting · {c.moved_on} on{c.converted ? ` · ${c.converted} converted` : ''}
          {c.exited ? ` · ${c.exited} exited` : ''}
        </div>
      )}
      {data.href && (
        <Link className="jmap-drill small nodrag" to={data.href} aria-label={`contacts here: ${data.title}`}>
          contacts here
        </Link>
      )}
      {data.problems.length > 0 && (
        <ul className="jmap-problems small" aria-label={`Problems in ${data.title}`}>
          {data.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
});

const nodeTypes = { step: StepNode };

/** The ids of the nodes React Flow has not measured (size and handles), one per line. */
const unmeasuredIds = (s: { nodeLookup: Map<string, { measured?: { width?: number; height?: number }; internals: { handleBounds?: unknown } }> }) => {
  const ids: string[] = [];
  for (const [id, n] of s.nodeLookup) {
    if (n.internals.handleBounds === undefined || n.measured?.width === undefined || n.measured?.height === undefined) ids.push(id);
  }
  return ids.join('\n');
};

/**
 * Measures the nodes again while any is unmeasured. React Flow measures a
 * node when a ResizeObserver first reports it; when that report lands in
 * the same render as a rebuild of the nodes, the rebuilt node is never
 * reported again (its size did not change) and stays hidden, and its edges
 * undrawn. Normally the first report comes well before the first retry.
 */
function MeasureUntilDrawn() {
  const unmeasured = useStore(unmeasuredIds);
  const update = useUpdateNodeInternals();
  useEffect(() => {
    if (!unmeasured) return;
    const t = setInterval(() => update(unmeasured.split('\n')), 300);
    return () => clearInterval(t);
  }, [unmeasured, update]);
  return null;
}

export default function JourneyMap({ journey, counts, problems, visited, edgeCounted, version = null, stepHref }: JourneyMapProps) {
  const navigate = useNavigate();
  // The sizes React Flow measured, kept across rebuilds of the nodes. The
  // nodes are rebuilt from the data (counts refresh every 30 s, every edit
  // of the draft); a rebuilt node without its size is hidden until it is
  // measured again, and a measurement lost on the way left the map blank
  // for good. Kept here, a rebuild shows the nodes as they were, and only
  // a real change of size measures again.
  const [sizes, setSizes] = useState<ReadonlyMap<string, { width: number; height: number }>>(() => new Map());
  const onNodesChange = useCallback((changes: NodeChange<Node<StepData>>[]) => {
    setSizes((prev) => {
      let next: Map<string, { width: number; height: number }> | null = null;
      for (const c of changes) {
        if (c.type !== 'dimensions' || !c.dimensions) continue;
        const was = prev.get(c.id);
        if (was && was.width === c.dimensions.width && was.height === c.dimensions.height) continue;
        next ??= new Map(prev);
        next.set(c.id, { width: c.dimensions.width, height: c.dimensions.height });
      }
      return next ?? prev;
    });
  }, []);
  const { nodes: drawn, edges, height } = useMemo(() => {
    const g = buildGraph(journey);
    const at = layout(g.nodes);
    const nodes: Node<StepData>[] = g.nodes.map((n) => ({
      id: n.id,
      type: 'step',
      position: at.get(n.id) ?? { x: 0, y: 0 },
      draggable: false,
      data: {
        title: n.id === TRIGGER ? 'start' : n.id,
        kind: n.step.kind,
        what: describeStep(n.step, journey),
        counts: counts.get(n.id === TRIGGER ? '' : n.id),
        problems: problems.get(n.id) ?? [],
        visited: !!visited?.steps.has(n.id),
        href: n.id === TRIGGER || !stepHref ? undefined : stepHref(n.id),
      },
    }));
    const along = edgeCounts(g.edges, counts, edgeCounted, version);
    const edges: Edge[] = g.edges.map((e) => {
      const hit = !!visited?.edges.has(`${e.source}->${e.target}`);
      const n = along.get(e.id);
      return {
        id: e.id,
        source: e.source,
        target: e.target,
        label: [e.label, n === undefined ? '' : `${n.toLocaleString()} went`].filter(Boolean).join(' · ') || undefined,
        animated: hit,
        className: hit ? 'jmap-edge-visited' : undefined,
        style: hit ? { stroke: 'var(--accent, #2563eb)', strokeWidth: 3 } : undefined,
      };
    });
    return { nodes, edges, height: mapHeight(g.nodes) };
  }, [journey, counts, problems, visited, edgeCounted, version, stepHref]);
  const nodes = useMemo(() => drawn.map((n) => (sizes.has(n.id) ? { ...n, measured: sizes.get(n.id) } : n)), [drawn, sizes]);
  return (
    <div className="jmap" role="figure" aria-label="Journey map" style={{ height }}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        fitView
        nodesConnectable={false}
        proOptions={{ hideAttribution: true }}
        onNodeClick={(_, node) => {
          if (node.data.href) void navigate(node.data.href);
        }}
      >
        <Background />
        <Controls showInteractive={false} />
        <MeasureUntilDrawn />
      </ReactFlow>
    </div>
  );
}
