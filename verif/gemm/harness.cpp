// Compiled GEMM harness: streams a host's tiles through a Verilated SPARQ array, no Python per
// cycle (verif/gemm/compiled.py builds and runs it; docs/runner.md).
//
// The host writes the operand blocks, already packed into port words, and the tile order into
// a binary stimulus file; this harness plays the tiles back to back with the rules of the
// cocotb bench (verif/tb_gemm.py): two reset edges, then one transaction a cycle, written
// after a rising edge; `gap` idle cycles before every tile but the first; idle cycles with
// in_valid low, in_first/in_last high and the data ports zero.  After every rising edge it
// samples the outputs, and records every cycle with out_valid high: the cycle, out_index (SA)
// and the result port's words.  Cycles are counted from the end of reset, as the cocotb bench
// counts them: a transaction written after edge c has cycle c; a result registered by edge e
// has cycle e.
//
// gemm_ports.h (written per design by the host) includes the model's header and names the
// ports: SPARQ_MODEL, A_PORTS(X), W_PORTS(X), ZERO_PORTS(X), OUT_DATA, HAS_INDEX.
//
// Usage: gemm STIMULUS RESULTS.  Exit status 0 on success, 2 on a malformed stimulus file.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "verilated.h"
#include "gemm_ports.h"

namespace {

constexpr uint32_t kMagic = 0x47515053;  // "SPQG"
constexpr uint32_t kVersion = 1;

// Port access for every width class a Verilated model uses.
template <typename T> inline void put(T& port, const uint32_t* w) { port = static_cast<T>(w[0]); }
inline void put(QData& port, const uint32_t* w) {
    port = static_cast<QData>(w[0]) | (static_cast<QData>(w[1]) << 32);
}
template <std::size_t N> inline void put(VlWide<N>& port, const uint32_t* w) {
    for (std::size_t i = 0; i < N; ++i) port[i] = w[i];
}
template <typename T> inline void clear(T& port) { port = 0; }
template <std::size_t N> inline void clear(VlWide<N>& port) {
    for (std::size_t i = 0; i < N; ++i) port[i] = 0;
}
template <typename T> inline void take(const T& port, uint32_t* w) { w[0] = static_cast<uint32_t>(port); }
inline void take(const QData& port, uint32_t* w) {
    w[0] = static_cast<uint32_t>(port);
    w[1] = static_cast<uint32_t>(port >> 32);
}
template <std::size_t N> inline void take(const VlWide<N>& port, uint32_t* w) {
    for (std::size_t i = 0; i < N; ++i) w[i] = port[i];
}
template <typename T> constexpr uint32_t words(const T&) { return sizeof(T) > 4 ? 2 : 1; }
template <std::size_t N> constexpr uint32_t words(const VlWide<N>&) { return N; }

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "gemm harness: %s\n", what);
    std::exit(2);
}

struct Reader {
    FILE* f;
    uint32_t u32() {
        uint32_t v;
        if (std::fread(&v, 4, 1, f) != 1) fail("stimulus file ends early");
        return v;
    }
    std::vector<uint32_t> block(std::size_t n) {
        std::vector<uint32_t> v(n);
        if (n && std::fread(v.data(), 4, n, f) != n) fail("stimulus file ends early");
        return v;
    }
};

// One side's ports (the A or the W side): per port its words, and all blocks' beats.
struct Side {
    std::vector<uint32_t> port_words;
    std::vector<std::vector<uint32_t>> data;  // per port: blocks * beats * words
    const uint32_t* at(std::size_t port, uint32_t block, uint32_t beats, uint32_t beat) const {
        const std::size_t w = port_words[port];
        return data[port].data() + (static_cast<std::size_t>(block) * beats + beat) * w;
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) fail("usage: gemm STIMULUS RESULTS");
    const std::unique_ptr<VerilatedContext> context{new VerilatedContext};
    context->commandArgs(1, argv);
    const std::unique_ptr<SPARQ_MODEL> dut{new SPARQ_MODEL{context.get(), "dut"}};

    FILE* in = std::fopen(argv[1], "rb");
    if (!in) fail("cannot open the stimulus file");
    Reader r{in};
    if (r.u32() != kMagic || r.u32() != kVersion) fail("not a version-1 stimulus file");

    // The host's port widths must be the model's.
    std::vector<uint32_t> a_model, w_model;
#define SPARQ_WORDS_A(p) a_model.push_back(words(dut->p));
#define SPARQ_WORDS_W(p) w_model.push_back(words(dut->p));
    A_PORTS(SPARQ_WORDS_A)
    W_PORTS(SPARQ_WORDS_W)
    Side a_side, w_side;
    const uint32_t n_a = r.u32(), n_w = r.u32();
    if (n_a != a_model.size() || n_w != w_model.size()) fail("port count differs from the model");
    for (uint32_t i = 0; i < n_a; ++i) a_side.port_words.push_back(r.u32());
    for (uint32_t i = 0; i < n_w; ++i) w_side.port_words.push_back(r.u32());
    if (a_side.port_words != a_model || w_side.port_words != w_model)
        fail("port widths differ from the model");
    const uint32_t beats = r.u32(), a_blocks = r.u32(), w_blocks = r.u32();
    const uint32_t tiles = r.u32(), gap = r.u32(), tail = r.u32();
    for (uint32_t p = 0; p < n_a; ++p)
        a_side.data.push_back(r.block(std::size_t{a_blocks} * beats * a_side.port_words[p]));
    for (uint32_t p = 0; p < n_w; ++p)
        w_side.data.push_back(r.block(std::size_t{w_blocks} * beats * w_side.port_words[p]));
    std::vector<uint32_t> order = r.block(std::size_t{tiles} * 2);
    std::fclose(in);
    for (uint32_t t = 0; t < tiles; ++t)
        if (order[2 * t] >= a_blocks || order[2 * t + 1] >= w_blocks) fail("tile order out of range");

    auto idle = [&]() {
        dut->in_valid = 0;
        dut->in_first = 1;
        dut->in_last = 1;
#define SPARQ_CLEAR(p) clear(dut->p);
        A_PORTS(SPARQ_CLEAR)
        W_PORTS(SPARQ_CLEAR)
    };
    auto beat = [&](uint32_t tile, uint32_t k) {
        const uint32_t ia = order[2 * tile], iw = order[2 * tile + 1];
        dut->in_valid = 1;
        dut->in_first = k == 0;
        dut->in_last = k == beats - 1;
        std::size_t port = 0;
#define SPARQ_PUT_A(p) put(dut->p, a_side.at(port++, ia, beats, k));
        A_PORTS(SPARQ_PUT_A)
        port = 0;
#define SPARQ_PUT_W(p) put(dut->p, w_side.at(port++, iw, beats, k));
        W_PORTS(SPARQ_PUT_W)
    };

    const uint32_t out_words = words(dut->OUT_DATA);
    std::vector<uint32_t> records;            // cycle, index, out words
    std::vector<uint32_t> first_beats(tiles), last_beats(tiles);

    // Reset: rst high on two rising edges, inputs idle.
    dut->clk = 0;
    dut->rst = 1;
    idle();
#define SPARQ_ZERO(p) clear(dut->p);
    ZERO_PORTS(SPARQ_ZERO)
    dut->eval();
    for (int e = 0; e < 2; ++e) {
        dut->clk = 1;
        dut->eval();
        dut->clk = 0;
        dut->eval();
    }
    dut->rst = 0;

    // The schedule: tile t starts after `gap` idle cycles (none before the first).
    const uint64_t stream = static_cast<uint64_t>(tiles) * beats + static_cast<uint64_t>(gap) *
                            (tiles ? tiles - 1 : 0);
    uint32_t tile = 0, k = 0, wait = 0;
    for (uint64_t cycle = 1; cycle <= stream + 1 + tail; ++cycle) {
        dut->clk = 1;
        dut->eval();
        if (dut->out_valid) {
            const std::size_t at = records.size();
            records.resize(at + 2 + out_words);
            records[at] = static_cast<uint32_t>(cycle);
#if HAS_INDEX
            records[at + 1] = static_cast<uint32_t>(dut->out_index);
#else
            records[at + 1] = 0;
#endif
            take(dut->OUT_DATA, &records[at + 2]);
        }
        // The transaction of this cycle, written after the edge.
        if (cycle <= stream) {
            if (wait) {
                idle();
                --wait;
            } else {
                if (k == 0) first_beats[tile] = static_cast<uint32_t>(cycle);
                beat(tile, k);
                if (k == beats - 1) last_beats[tile] = static_cast<uint32_t>(cycle);
                if (++k == beats) {
                    k = 0;
                    ++tile;
                    wait = gap;
                }
            }
        } else {
            idle();
        }
        dut->clk = 0;
        dut->eval();
    }
    dut->final();

    FILE* out = std::fopen(argv[2], "wb");
    if (!out) fail("cannot write the results file");
    const uint32_t head[5] = {kMagic, kVersion, tiles,
                              static_cast<uint32_t>(records.size() / (2 + out_words)), out_words};
    bool ok = std::fwrite(head, 4, 5, out) == 5;
    ok = ok && (!tiles || std::fwrite(first_beats.data(), 4, tiles, out) == tiles);
    ok = ok && (!tiles || std::fwrite(last_beats.data(), 4, tiles, out) == tiles);
    ok = ok && (records.empty() || std::fwrite(records.data(), 4, records.size(), out) == records.size());
    if (std::fclose(out) != 0 || !ok) fail("cannot write the results file");
    return 0;
}
