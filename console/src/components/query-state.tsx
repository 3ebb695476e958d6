// One way for every page to show data that loads: the loading line while
// nothing has come, the API's own message when it fails (never a blank
// screen), an empty state that says what to do next, and the content.
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { EmptyState, ErrorMessage, Loading } from './ui';

/** What QueryState needs of a TanStack query (useQuery or useInfiniteQuery). */
export interface QueryLike<T> {
  data: T | undefined;
  error: unknown;
  isPending: boolean;
}

export interface QueryStateProps<T> {
  query: QueryLike<T>;
  /** Said while loading ("Loading the timeline…"). */
  loading?: string;
  /** When the data holds nothing to show. */
  isEmpty?: (data: T) => boolean;
  /** The empty state: a title and what to do next. */
  empty?: { title: string; next: ReactNode };
  children: (data: T) => ReactNode;
}

export function QueryState<T>({ query, loading, isEmpty, empty, children }: QueryStateProps<T>) {
  if (query.data === undefined) {
    if (query.error) return <ErrorMessage error={query.error} />;
    return <Loading label={loading} />;
  }
  const content =
    empty && isEmpty?.(query.data) ? <EmptyState title={empty.title}>{empty.next}</EmptyState> : children(query.data);
  return (
    <>
      {content}
      {/* A refetch or a next page that failed: the data shown stays. */}
      <ErrorMessage error={query.error} />
    </>
  );
}

/**
 * Catches what a page throws while rendering (or a page's code that failed
 * to load) and shows it, with a way back, instead of a blank screen.
 */
export class PageErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('page failed', error, info.componentStack);
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <>
        <ErrorMessage error={this.state.error} />
        <p>
          <button type="button" onClick={() => window.location.reload()}>
            Reload the page
          </button>
        </p>
      </>
    );
  }
}
