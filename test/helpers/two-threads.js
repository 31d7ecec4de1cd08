// The "two threads" project (jest.config.js): every `wisp run` a test starts runs its node on two threads.
process.env.WISP_THREADS = '2';
