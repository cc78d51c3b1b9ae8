import { describe, expect, it } from 'vitest';
import { canonicalPath, route } from './router';

describe('route', () => {
  it.each([
    ['/', '', { page: 'home' }],
    ['/notebook/2F2YS7PCE', '', { page: 'note', noteId: '2F2YS7PCE' }],
    ['/notebook/2F2YS7PCE/paragraph/paragraph_1_-2', '', { page: 'note', noteId: '2F2YS7PCE', paragraphId: 'paragraph_1_-2' }],
    ['/', '#/notebook/2EYT7Q6R8', { page: 'note', noteId: '2EYT7Q6R8' }],
    ['/', '#/notebook/2EYT7Q6R8/paragraph/p1?asIframe', { page: 'note', noteId: '2EYT7Q6R8', paragraphId: 'p1' }],
    ['/catalog', '', { page: 'catalog' }],
    ['/applications', '', { page: 'applications' }],
    ['/applications/', '', { page: 'applications' }],
    ['/applications/a%201', '', { page: 'application', applicationId: 'a 1' }],
    ['/', '#/applications', { page: 'applications' }],
    ['/', '#/applications/a1', { page: 'application', applicationId: 'a1' }],
    ['/applications/a1/more', '', { page: 'notfound', path: '/applications/a1/more' }],
    ['/nope', '', { page: 'notfound', path: '/nope' }],
    ['/view/N1', '#share=abc', { page: 'view', noteId: 'N1' }],
    ['/view/N1/paragraph/p%201', '', { page: 'view', noteId: 'N1', paragraphId: 'p 1' }],
    ['/embed/N1/p1', '#share=abc', { page: 'embed', noteId: 'N1', paragraphId: 'p1' }],
    ['/embed/N1', '', { page: 'notfound', path: '/embed/N1' }],
    ['/admin/users', '', { page: 'users' }],
    ['/admin/audit', '', { page: 'audit' }],
    ['/settings/tokens', '', { page: 'tokens' }],
  ])('%s%s', (path, hash, want) => {
    expect(route(path, hash)).toEqual(want);
  });

  it('rewrites Zeppelin links to clean paths', () => {
    expect(canonicalPath(route('/', '#/notebook/A B'))).toBe('/notebook/A%20B');
    expect(canonicalPath(route('/', '#/applications/a 1'))).toBe('/applications/a%201');
    expect(canonicalPath(route('/', '#/applications'))).toBe('/applications');
    expect(canonicalPath(route('/view/N/paragraph/p 1'))).toBe('/view/N/paragraph/p%201');
    expect(canonicalPath(route('/embed/N/p1'))).toBe('/embed/N/p1');
  });
});
