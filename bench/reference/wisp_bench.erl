%% The kernel benchmark workloads on Erlang/OTP (reference only, printed by bench/vm.js when `erl` exists):
%% echo: a client sends to a registered relay, which spawn_monitors a worker per message; the worker upper-cases
%% the data and replies to the client; the relay receives the DOWN. spawn_exit: spawn_monitor + DOWN. ring: a
%% token passed round 1000 processes, each learning its successor from its first message (bench.lua ring_node).
-module(wisp_bench).
-export([main/0]).

main() ->
    Echo = median([echo(20000) || _ <- lists:seq(1, 5)]),
    Spawn = median([spawn_exit(50000) || _ <- lists:seq(1, 5)]),
    Ring = median([ring(1000, 500000) || _ <- lists:seq(1, 5)]),
    io:format("~p ~p ~p~n", [Echo, Spawn, Ring]),
    halt().

median(Xs) -> lists:nth(length(Xs) div 2 + 1, lists:sort(Xs)).

echo(N) ->
    Relay = spawn(fun relay/0),
    register(relay, Relay),
    T0 = erlang:monotonic_time(nanosecond),
    client(N),
    T1 = erlang:monotonic_time(nanosecond),
    unregister(relay),
    exit(Relay, kill),
    (T1 - T0) / 1000 / N.

client(0) -> ok;
client(N) ->
    relay ! {echo, self(), <<"hello world">>},
    receive {echo_response, <<"HELLO WORLD">>, _Worker} -> client(N - 1) end.

relay() ->
    receive
        {echo, Sender, Data} -> spawn_monitor(fun() -> worker(Sender, Data) end);
        {'DOWN', _, process, _, _} -> ok
    end,
    relay().

worker(Sender, Data) -> Sender ! {echo_response, string:uppercase(Data), self()}.

spawn_exit(N) ->
    T0 = erlang:monotonic_time(nanosecond),
    spawn_loop(N),
    (erlang:monotonic_time(nanosecond) - T0) / 1000 / N.

spawn_loop(0) -> ok;
spawn_loop(N) ->
    {_, Ref} = spawn_monitor(fun() -> 0 end),
    receive {'DOWN', Ref, process, _, _} -> spawn_loop(N - 1) end.

ring(Size, Hops) ->
    Me = self(),
    Pids = [spawn(fun() -> ring_node(Me) end) || _ <- lists:seq(1, Size)],
    [First | _] = Pids,
    lists:foreach(fun({P, Next}) -> P ! {next, Next} end, lists:zip(Pids, tl(Pids) ++ [First])),
    T0 = erlang:monotonic_time(nanosecond),
    First ! {token, Hops},
    receive {done, 0} -> ok end,
    Us = (erlang:monotonic_time(nanosecond) - T0) / 1000 / Hops,
    [exit(P, kill) || P <- Pids],
    Us.

ring_node(Done) ->
    receive {next, Next} -> ring_loop(Done, Next) end.

ring_loop(Done, Next) ->
    receive
        {token, 0} -> Done ! {done, 0};
        {token, Hops} -> Next ! {token, Hops - 1}
    end,
    ring_loop(Done, Next).
