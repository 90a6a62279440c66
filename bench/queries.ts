/**
 * The README's dashboard query, which every section of `npm run bench` measures: the website,
 * a page of conversations, and for each its person, assignee and last five messages.
 */
export const dashboardQuery = (first = 20) =>
  `{ website { name conversations(first: ${first}) { nodes { sessionId state meta { nickname email } person { email company { name } } assignee { firstName } messages(last: 5) { nodes { type text from timestamp } } } } } }`;
