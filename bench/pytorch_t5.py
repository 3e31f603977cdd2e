"""Times the PyTorch side of a `superpos bench` workload: transformers' T5ForConditionalGeneration
with random weights, wrapped in peft prompt tuning, on the same fixed batch.

Prints one JSON object with the same keys as `superpos bench --json`, so that
bench/compare_pytorch.sh and scripts/gpu-check.sh can divide one by the other.

Workloads:
  step      forward, backward to the prompt and an AdamW step (lr 0.3, weight decay 1e-5)
  generate  encoding and greedy decoding of --target-len tokens, as evaluation runs them

NOTE: transformers 5.25's decoder cache fails (IndexError in cache_utils) when generating with a
config whose num_decoder_layers differs from num_layers, such as the tiny test fixture. The
published T5 and T5 v1.1 configs have equal counts.
"""

import argparse
import json
import resource
import statistics
import time
import warnings

import torch
from peft import PromptTuningConfig, PromptTuningInit, TaskType, get_peft_model
from transformers import T5Config, T5ForConditionalGeneration


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="a T5 config.json")
    parser.add_argument("--workload", required=True, choices=["step", "generate"])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--source-len", type=int, default=256)
    parser.add_argument("--prompt-len", type=int, default=10)
    parser.add_argument("--target-len", type=int, default=4)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--precision", default="f32", choices=["f32", "bf16"])
    return parser.parse_args()


def batch_tensors(args, vocab, device):
    """Builds the batch with the formulas of superpos_models::benchmark::Workload::random."""

    def token(i):
        return 2 + i % (vocab - 2)

    total = args.batch * args.source_len
    ids = [1 if i % args.source_len == args.source_len - 1 else token(100 + i * 7919) for i in range(total)]
    labels = [1 if i % args.target_len == args.target_len - 1 else token(500 + i) for i in range(args.batch * args.target_len)]
    input_ids = torch.tensor(ids, dtype=torch.long, device=device).view(args.batch, args.source_len)
    attention_mask = torch.ones_like(input_ids)
    labels = torch.tensor(labels, dtype=torch.long, device=device).view(args.batch, args.target_len)
    return input_ids, attention_mask, labels


def peak_memory_mib(device):
    """Returns the peak resident memory of the process in MiB (ru_maxrss is in KiB on Linux), or
    on CUDA the peak of tensor memory on the GPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    args = parse_args()
    # transformers 5 warns about its own deprecated calls inside peft; the output is JSON only.
    warnings.filterwarnings("ignore", category=FutureWarning)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)

    config = T5Config.from_json_file(args.config)
    config.dropout_rate = args.dropout
    model = T5ForConditionalGeneration(config).to(device)
    peft_config = PromptTuningConfig(
        task_type=TaskType.SEQ_2_SEQ_LM,
        num_virtual_tokens=args.prompt_len,
        prompt_tuning_init=PromptTuningInit.RANDOM,
    )
    model = get_peft_model(model, peft_config)
    # Dropout off means no dropout layers at all, as on the Rust side; gradients flow in eval mode.
    model.train(args.dropout > 0)
    input_ids, attention_mask, labels = batch_tensors(args, config.vocab_size, device)
    autocast = torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16")

    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=0.3, weight_decay=1e-5)
    generated_tokens = None

    def step():
        with autocast:
            loss = model(input_ids=input_ids, attention_mask=attention_mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.item()  # waits for the device

    def generate():
        nonlocal generated_tokens
        with torch.no_grad(), autocast:
            out = model.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                max_new_tokens=args.target_len,
                do_sample=False,
                num_beams=1,
            )
        generated_tokens = out.shape[1] - 1  # the output starts with the decoder start token
        out.cpu()

    work = step if args.workload == "step" else generate
    for _ in range(args.warmup):
        work()
    seconds = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)

    median = statistics.median(seconds)
    print(
        json.dumps(
            {
                "workload": args.workload,
                "config": args.config,
                "shape": {
                    "batch": args.batch,
                    "source_len": args.source_len,
                    "prompt_len": args.prompt_len,
                    "target_len": args.target_len,
                },
                "dropout": args.dropout,
                "device": args.device,
                "precision": args.precision,
                "threads": torch.get_num_threads(),
                "seconds": seconds,
                "median_seconds": median,
                "examples_per_second": args.batch / median,
                "generated_tokens": generated_tokens,
                "peak_memory_mib": peak_memory_mib(device),
                "versions": {
                    "torch": torch.__version__,
                    "transformers": __import__("transformers").__version__,
                    "peft": __import__("peft").__version__,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
