// The limit of the runtime: a Worker that answers "ok".
export default {
  fetch() {
    return new Response("ok");
  },
};
