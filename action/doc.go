// Package action holds the built-in local action kinds (exec, http) and the
// template engine every action uses for its parameters.
//
// See the package documentation further down for the parameters of each
// action and the precise quoting rules.
package action
