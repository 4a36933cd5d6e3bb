/**
 * Neural-network layers (Linear, Conv2d, ConvTranspose2d, BatchNorm, activations), the DCGAN
 * encoder/decoder builders, Adam/AdamW, and safetensors weight files. (Built in the "vssf-nn"
 * issue; this package holds the module's place in the build until then.)
 */
package org.vssf.nn;
