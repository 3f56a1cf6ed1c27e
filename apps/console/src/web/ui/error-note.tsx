import { ApiError } from '../api/create-console-api.ts';

/** An error as a short alert: the API's status name and message. */
export function ErrorNote(props: { error: unknown }) {
  if (!props.error) return null;
  const error = props.error;
  const text = error instanceof ApiError ? `${error.body.code}: ${error.body.message}` : error instanceof Error ? error.message : String(error);
  return <p class="error" role="alert">{text}</p>;
}
