import { api } from './api.js';

/**
 * Build a dashboard from a skeleton for chosen hosts: the view is created by the REST API
 * (`POST /rest/skeletons/:id/create_view`), then a dashboard holding it, then we open it.
 */
const form = document.querySelector<HTMLFormElement>('#skeleton-form');
const error = document.querySelector<HTMLElement>('#skeleton-error');
form?.addEventListener('submit', async (e) => {
  e.preventDefault();
  const data = new FormData(form);
  const hosts = data.getAll('hosts').map(Number);
  const name = String(data.get('name') ?? '').trim();
  if (error) error.textContent = '';
  if (hosts.length === 0) {
    if (error) error.textContent = 'Choose at least one host.';
    return;
  }
  try {
    const view = await api<{ id: number }>('POST', `/rest/skeletons/${Number(data.get('skeleton'))}/create_view`, { hosts, name });
    const dashboard = await api<{ id: number }>('POST', '/rest/multiviews', { name, views: [view.id] });
    location.assign(`/dashboards/${dashboard.id}`);
  } catch (err) {
    if (error) error.textContent = (err as Error).message;
  }
});
