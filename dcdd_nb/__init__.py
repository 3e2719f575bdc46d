"""Sharper images from frozen autoregressive VLMs: a diffusion decoder conditioned on image-token logits (LCDM + Logit Calibration + DCDD).

Modules:

- `dcdd_nb.decoder`: The Distribution-Conditioned Diffusion Decoder (DCDD): a pixel-space UNet that draws an image from the LCDM map, its flow-matching objective and its sampler; `dcdd_nb.pipeline` makes it a diffusers pipeline.
- `dcdd_nb.evaluate`: Every decoder on the same images with the same seeds: the results table, plots and comparison grids for the ablation rows.
- `dcdd_nb.features`: The feature spaces the Frechet distances of `dcdd_nb.metrics` run on, all offline: EfficientNet-Lite0 with a PCA projection, a small Fashion-MNIST classifier, and LPIPS/FID where their weights exist.
- `dcdd_nb.janus`: Janus-Pro in `transformers` as the VLM: generating with it while recording the logits its sampler used, and its teacher-forced logits on real images for paired calibration.
- `dcdd_nb.metrics`: PSNR, SSIM, offline Frechet distances with bootstrap intervals (paired across decoders and seeds) and KID. The feature spaces they run on are in `dcdd_nb.features`.
- `dcdd_nb.pipeline`: `DCDDPipeline`, a diffusers `DiffusionPipeline`: VLM logits (and the tokens emitted with them), a ready `CodeDistribution` or encoder latents in, images out; saved with its inference settings, loaded without importing anything a folder names.
- `dcdd_nb.vlm`: Recording the image-token logits a sampler actually used, and `TinyPrior`, the small class-conditioned prior that plays the VLM's role in the embedded default (Janus-Pro itself is in `dcdd_nb.janus`)."""

__version__ = "0.0.1"
